import { parseEventsBody } from '../../producers/gateway/parse-body';
import { validateEvent } from '../../schemas/validate-event';
import type { UploadEvent } from '../../schemas/upload-event';
import { EventBodies, PROBE_SELLER } from './event-bodies';

/** Parses a body the way the gateway does and validates every event as it would. */
function gatewayView(text: string, nowMs: number): UploadEvent[] {
  const parsed = parseEventsBody(Buffer.from(text), 'application/x-ndjson');
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.items.map((item) => {
    const r = validateEvent(item, BigInt(nowMs) * 1_000_000n);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return r.event;
  });
}

test('a body is NDJSON of exactly `batch` valid events, tagged with the run and stamped with the send time, ts unique', () => {
  const now = 1_764_212_345_000;
  const bodies = new EventBodies({ runTag: 'lt-test-1', batch: 25, markerEveryMs: 100, nowMs: () => now });
  const events = Array.from({ length: 40 }, () => gatewayView(bodies.next().text, now)).flat();
  expect(events).toHaveLength(1000);
  expect(events.every((e) => e.attempt_id.startsWith('lt-test-1-'))).toBe(true);
  expect(events.every((e) => e.ts >= BigInt(now) * 1_000_000n && e.ts < BigInt(now + 1) * 1_000_000n)).toBe(true);
  expect(new Set(events.map((e) => e.ts)).size).toBe(1000);
  // The simulator's content survives: several origins, sellers and event types, creation latency kept.
  expect(new Set(events.map((e) => e.origin)).size).toBeGreaterThan(1);
  expect(new Set(events.map((e) => e.data.company_id)).size).toBeGreaterThan(20);
  const created = events.filter((e) => e.is_created);
  expect(created.length).toBeGreaterThan(0);
  expect(created.every((e) => e.up_ts > 0n && e.up_ts < e.ts)).toBe(true);
  expect(events.filter((e) => !e.is_created).every((e) => e.up_ts === 0n)).toBe(true);
});

test('one event per marker interval goes to the probe seller, and its ts is the marker', () => {
  let now = 1_764_212_345_000;
  const bodies = new EventBodies({ runTag: 'lt-test-2', batch: 3, markerEveryMs: 100, nowMs: () => now });
  const markers: bigint[] = [];
  for (let i = 0; i < 50; i++) {
    const body = bodies.next();
    const events = gatewayView(body.text, now);
    const probe = events.filter((e) => e.data.company_id === PROBE_SELLER);
    if (body.marker === undefined) expect(probe).toHaveLength(0);
    else {
      expect(probe.map((e) => e.ts)).toEqual([body.marker]);
      markers.push(body.marker);
    }
    now += 20; // 50 bodies over 1 s: a marker every 5th body
  }
  expect(markers).toHaveLength(10);
});

test('a bad batch or run tag is refused with the reason', () => {
  expect(() => new EventBodies({ runTag: 'lt-x', batch: 0, markerEveryMs: 100 })).toThrow(/batch must be a positive integer/);
  expect(() => new EventBodies({ runTag: "x'; DROP", batch: 1, markerEveryMs: 100 })).toThrow(/run tag/);
});

test('markers keep their rate when bodies come in bursts slightly faster than the marker interval', () => {
  let now = 1_764_212_345_000;
  const bodies = new EventBodies({ runTag: 'lt-test-3', batch: 1, markerEveryMs: 100, nowMs: () => now });
  let markers = 0;
  // A burst of 5 bodies every 99 ms for 3 s.
  for (let burst = 0; burst < 30; burst++, now += 95) {
    for (let i = 0; i < 5; i++, now += 1) if (bodies.next().marker !== undefined) markers++;
  }
  expect(markers).toBeGreaterThanOrEqual(29);
  expect(markers).toBeLessThanOrEqual(30);
});
