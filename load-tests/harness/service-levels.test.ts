import type { Sample } from './sampler';
import { judge, lagTrend } from './service-levels';
import { distribution, FloatLog, percentile } from './stats';

const sample = (t: number, lag: Record<string, number | null>): Sample => ({
  t, at: t * 1000, phase: 'p', offeredRate: 1000, answered: 0, acceptedEvents: 0, latencyMs: null, errors: {}, lag, cpuPercent: {}, rssBytes: {}, machineCpuPercent: null,
});

test('a sawtooth lag that returns to its floor every period is not growing', () => {
  // Commits every 10 s: lag climbs 1,000 a second, then falls back to 50.
  const samples = Array.from({ length: 60 }, (_, t) => sample(t, { g: 50 + (t % 10) * 1000 }));
  const trend = lagTrend(samples, 'g', 10, 1000)!;
  expect(trend.floors).toEqual([50, 50, 50, 50, 50, 50]);
  expect(trend.growing).toBe(false);
});

test('a floor that rises by more than 2 % of the traffic offered in between is growing', () => {
  // 5 % of 1,000 events/s stays behind: the floor rises 500 per 10-s period.
  const samples = Array.from({ length: 60 }, (_, t) => sample(t, { g: Math.floor(t / 10) * 500 + (t % 10) * 100 }));
  const trend = lagTrend(samples, 'g', 10, 1000)!;
  expect(trend.floors).toEqual([0, 500, 1000, 1500, 2000, 2500]);
  expect(trend.growing).toBe(true);
  // ...but 1 % of it is within the tolerance.
  const slow = Array.from({ length: 60 }, (_, t) => sample(t, { g: Math.floor(t / 10) * 100 }));
  expect(lagTrend(slow, 'g', 10, 1000)!.growing).toBe(false);
});

test('a window shorter than two commit periods, or without readings, is not judged', () => {
  expect(lagTrend(Array.from({ length: 100 }, (_, t) => sample(t, { g: t })), 'g', 80, 1000)).toBeUndefined();
  expect(lagTrend(Array.from({ length: 100 }, (_, t) => sample(t, { g: null })), 'g', 10, 1000)).toBeUndefined();
  expect(lagTrend([], 'g', 10, 1000)).toBeUndefined();
});

test('judge names every broken service level, and an unmeasured figure counts as broken', () => {
  expect(judge({ ingestP99Ms: 40, freshnessP99Ms: 2000, lag: { g: { floors: [0, 0], growth: 0, growing: false }, h: undefined } })).toEqual({ ok: true, broken: [] });
  const v = judge({ ingestP99Ms: 150, freshnessP99Ms: Number.POSITIVE_INFINITY, lag: { g: { floors: [0, 9000], growth: 9000, growing: true } } });
  expect(v.ok).toBe(false);
  expect(v.broken).toEqual(['ingest p99 150 ms > 100 ms', 'freshness p99 never seen > 5000 ms', 'lag of g growing (+9000 messages)']);
  expect(judge({ lag: {} }).broken).toHaveLength(2);
});

test('nearest-rank percentiles, distributions and the float log', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  expect(percentile(sorted, 0.5)).toBe(51);
  expect(percentile(sorted, 0.99)).toBe(100);
  expect(percentile([], 0.5)).toBeUndefined();
  expect(distribution([5, 1, 3, Number.POSITIVE_INFINITY])).toEqual({ n: 4, p50: 5, p95: Number.POSITIVE_INFINITY, p99: Number.POSITIVE_INFINITY, max: Number.POSITIVE_INFINITY });
  const log = new FloatLog();
  for (let i = 0; i < 5000; i++) log.push(i / 2);
  expect(log.length).toBe(5000);
  expect(log.values()[4999]).toBe(2499.5);
});
