import { createTraffic } from '../producers/simulator/model';
import { eventJson, sampleEvent } from './event-fixtures';
import { curate, curatedRow, eventKey } from './curated-event';

test('derived columns: seller, latency, media, UTC minute and date', () => {
  const ts = 1764212345123456789n; // 2025-11-27T02:59:05.123456789Z
  const c = curate(sampleEvent({ ts, up_ts: ts - 1_500_000_000n }));
  expect(c).toEqual(expect.objectContaining({ seller_id: 9007199254740993n, latency_ms: 1500, media_count: 1, media_bytes: 120000n, is_created: 1 }));
  expect(c).toEqual(expect.objectContaining({ event_time: 1764212345, event_minute: 1764212340, event_date: '2025-11-27' }));
  expect(curate(sampleEvent({ is_created: false, up_ts: 0n })).latency_ms).toBe(0);
});

test('event_key is stable for a re-sent event and differs when any identity field differs', () => {
  const e = sampleEvent({ ts: 1764212345123456789n });
  expect(eventKey({ ...e })).toBe(eventKey(e));
  expect(eventKey({ ...e, ts: e.ts + 1n })).not.toBe(eventKey(e));
  expect(eventKey({ ...e, attempt_id: 'other' })).not.toBe(eventKey(e));
  expect(eventKey({ ...e, event: 'ERROR' })).not.toBe(eventKey(e));
});

test('the JSONEachRow line keeps 64-bit values exact', () => {
  const line = curatedRow(curate(sampleEvent({ ts: 1764212345123456789n, up_ts: 1764212345123456788n })));
  expect(line).toContain('"ts":1764212345123456789');
  expect(line).toContain('"seller_id":9007199254740993');
  expect(line).not.toContain('\n');
});

test('the hand-written line is exactly what the general serializer writes, for simulated events and awkward text', () => {
  const events = [...createTraffic({ seed: 4, start: 1764212345123456789n, rate: 50 }).takeUntil(1764212345123456789n + 60_000_000_000n)];
  events.push(sampleEvent({ attempt_id: 'quote " backslash \\ tab \t', origin: 'ünïcode-😀', data: { company_id: 18446744073709551615n, info: '{"a":"\u0000\n"}', media: [] } }));
  for (const e of events) expect(curatedRow(curate(e))).toBe(eventJson(curate(e)));
  expect(events.length).toBeGreaterThan(1000);
});
