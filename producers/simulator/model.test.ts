import type { UploadEvent } from '../../schemas/upload-event';
import { createTraffic, type Traffic } from './model';
import { DEFAULT_ORIGINS } from './profiles';
import { attemptProblems, eventProblems } from './testing';

const START = 1_740_830_400_000_000_000n; // 2025-03-01T12:00:00Z, a Saturday
const S = 1_000_000_000n;
const WEEK = 7n * 86_400n * S;
const TWO_53 = 2n ** 53n;

const take = (t: Traffic, n: number): UploadEvent[] => Array.from({ length: n }, () => t.next());

describe('determinism', () => {
  test('the same seed gives the same first 10k events', () => {
    const a = take(createTraffic({ seed: 42, start: START }), 10_000);
    const b = take(createTraffic({ seed: 42, start: START }), 10_000);
    expect(b).toEqual(a);
  });

  test('another seed gives other events', () => {
    const a = take(createTraffic({ seed: 42, start: START }), 1_000);
    const b = take(createTraffic({ seed: 43, start: START }), 1_000);
    expect(b.map((e) => e.ts)).not.toEqual(a.map((e) => e.ts));
    expect(b.map((e) => e.id)).not.toEqual(a.map((e) => e.id));
  });

  test('takeUntil and the iterator continue the same stream as next()', () => {
    const reference = take(createTraffic({ seed: 5, start: START }), 3_000);
    const t = createTraffic({ seed: 5, start: START });
    const head = t.takeUntil(reference[1_000].ts);
    expect(head.every((e) => e.ts < reference[1_000].ts)).toBe(true);
    expect(t.peekTs()).toBe(reference[head.length].ts);
    const rest: UploadEvent[] = [];
    for (const e of t) {
      rest.push(e);
      if (head.length + rest.length === reference.length) break;
    }
    expect([...head, ...rest]).toEqual(reference);
  });
});

describe('a 200k-event stream', () => {
  let events: UploadEvent[] = [];
  beforeAll(() => {
    events = take(createTraffic({ seed: 7, start: START, rate: 1000 }), 200_000);
  });

  test('ts never decreases and starts at the run start', () => {
    expect(events[0].ts).toBeGreaterThanOrEqual(START);
    const backwards = events.findIndex((e, i) => i > 0 && e.ts < events[i - 1].ts);
    expect(backwards).toBe(-1);
  });

  test('every event is valid', () => {
    const problems = events.flatMap((e) => eventProblems(e).map((p) => `${e.attempt_id}: ${p}`));
    expect(problems.slice(0, 10)).toEqual([]);
  });

  test('attempts are UPDATEs then one SAVE or ERROR on one item', () => {
    expect(attemptProblems(events).slice(0, 10)).toEqual([]);
    const kinds = new Set(events.map((e) => e.event));
    expect([...kinds].sort()).toEqual(['ERROR', 'SAVE', 'UPDATE']);
  });

  test('new items get unique ids, and ids and seller ids cross 2^53', () => {
    const created = events.filter((e) => e.is_created).map((e) => e.id);
    expect(created.length).toBeGreaterThan(events.length / 5);
    expect(new Set(created).size).toBe(created.length);
    expect(events.some((e) => e.id > TWO_53)).toBe(true);
    expect(events.some((e) => e.data.company_id > TWO_53)).toBe(true);
    expect(events.some((e) => e.data.company_id < TWO_53)).toBe(true);
  });

  test('creation latency (ts - up_ts) has each origin\'s median', () => {
    for (const origin of DEFAULT_ORIGINS) {
      const ms = events.filter((e) => e.is_created && e.origin === origin.name).map((e) => Number(e.ts - e.up_ts) / 1e6);
      expect(ms.length).toBeGreaterThan(1_000);
      expect(median(ms) / origin.latencyMedianMs).toBeGreaterThan(0.93);
      expect(median(ms) / origin.latencyMedianMs).toBeLessThan(1.07);
    }
  });

  test('the top 1% of sellers (50 of 5000) send most of the traffic at Zipf 1.1', () => {
    // Their expected share of attempts is sum(k^-1.1, k<=50) / sum(k^-1.1, k<=5000) = 0.606.
    const top = new Set(createTraffic({ seed: 7, start: START }).sellers.slice(0, 50).map((s) => s.companyId));
    const attempts = new Map<string, bigint>();
    for (const e of events) attempts.set(e.attempt_id, e.data.company_id);
    const attemptShare = [...attempts.values()].filter((id) => top.has(id)).length / attempts.size;
    expect(attemptShare).toBeGreaterThan(0.57);
    expect(attemptShare).toBeLessThan(0.64);
    expect(events.filter((e) => top.has(e.data.company_id)).length / events.length).toBeGreaterThan(0.5);
  });

  test('countries and origins follow their configured weights', () => {
    const share = (f: (e: UploadEvent) => boolean) => events.filter(f).length / events.length;
    expect(share((e) => e.country === 'RU')).toBeCloseTo(0.55, 1);
    expect(share((e) => e.country === 'KZ')).toBeCloseTo(0.1, 1);
    const finals = events.filter((e) => e.event !== 'UPDATE');
    expect(finals.filter((e) => e.origin === 'seller-api').length / finals.length).toBeCloseTo(0.6, 1);
    expect(finals.filter((e) => e.origin === 'xlsx-import').length / finals.length).toBeCloseTo(0.25, 1);
  });
});

describe('a simulated week at 1 event/s', () => {
  const byHour = new Float64Array(24);
  const byWeekday = new Float64Array(7);
  let count = 0;
  let saves = 0;
  let errors = 0;
  beforeAll(() => {
    const t = createTraffic({ seed: 11, start: START, rate: 1 });
    const end = START + WEEK;
    while (t.peekTs() < end) {
      const e = t.next();
      count++;
      if (e.event === 'SAVE') saves++;
      if (e.event === 'ERROR') errors++;
      const date = new Date(Number(e.ts / 1_000_000n));
      byHour[date.getUTCHours()]++;
      byWeekday[date.getUTCDay()]++;
    }
  });

  test('the mean rate is the configured one within 5%', () => {
    expect(count / 604_800).toBeGreaterThan(0.95);
    expect(count / 604_800).toBeLessThan(1.05);
  });

  test('mid-day (12-14 UTC) runs about 5x the night (0-2 UTC)', () => {
    const peak = byHour[12] + byHour[13] + byHour[14];
    const night = byHour[0] + byHour[1] + byHour[2];
    // cos profile, amplitude 0.7: (1 + 0.7 * 0.977) / (1 - 0.7 * 0.977) = 5.3
    expect(peak / night).toBeGreaterThan(4);
    expect(peak / night).toBeLessThan(7);
  });

  test('weekend days run about 0.7x weekdays', () => {
    const weekend = (byWeekday[0] + byWeekday[6]) / 2;
    const weekday = (byWeekday[1] + byWeekday[2] + byWeekday[3] + byWeekday[4] + byWeekday[5]) / 5;
    expect(weekend / weekday).toBeGreaterThan(0.65);
    expect(weekend / weekday).toBeLessThan(0.75);
  });

  test('the failure rate of attempts is the configured 2%', () => {
    expect(errors / (saves + errors)).toBeGreaterThan(0.018);
    expect(errors / (saves + errors)).toBeLessThan(0.022);
  });
});

test('a flat cycle keeps the rate constant through the night', () => {
  const t = createTraffic({ seed: 3, start: START + 12n * 3600n * S, rate: 200, diurnalAmplitude: 0, weekendFactor: 1 });
  const n = t.takeUntil(START + 12n * 3600n * S + 600n * S).length;
  expect(n / 600).toBeGreaterThan(190);
  expect(n / 600).toBeLessThan(210);
});

test('failureRate and origins are configurable', () => {
  const origins = [{ name: 'edi', weight: 1, failureFactor: 1, latencyMedianMs: 100, latencySigma: 0.1, meanUpdates: 0, stepMedianMs: 100 }];
  const events = take(createTraffic({ seed: 3, start: START, failureRate: 0.5, origins }), 20_000);
  expect(new Set(events.map((e) => e.origin))).toEqual(new Set(['edi']));
  expect(events.every((e) => e.event !== 'UPDATE')).toBe(true);
  expect(events.filter((e) => e.event === 'ERROR').length / events.length).toBeCloseTo(0.5, 1);
});

test('bad options are refused by name', () => {
  expect(() => createTraffic({ seed: 1, start: 5n })).toThrow(/start must be ns since epoch/);
  expect(() => createTraffic({ seed: 1, start: START, rate: 0 })).toThrow(/rate must be a positive number/);
  expect(() => createTraffic({ seed: 1.5, start: START })).toThrow(/seed must be a safe integer/);
  expect(() => createTraffic({ seed: 1, start: START, failureRate: 2 })).toThrow(/failureRate must be in \[0, 1\]/);
  expect(() => createTraffic({ seed: 1, start: START, countries: { ru: 1 } })).toThrow(/country "ru" must be an ISO 3166-1 alpha-2 code/);
  expect(() => createTraffic({ seed: 1, start: START, sellers: 0 })).toThrow(/sellers must be an integer/);
  expect(() => createTraffic({ seed: 1, start: START, diurnalAmplitude: 1 })).toThrow(/diurnalAmplitude must be in \[0, 1\)/);
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}
