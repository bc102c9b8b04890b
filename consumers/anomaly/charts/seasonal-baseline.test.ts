import { HOUR_MS } from './hourly-ring';
import { SeasonalBaseline, type BaselineWindow } from './seasonal-baseline';
import { normals } from './test-random';
import { meanAndSigma } from './xbar-chart';

const DAY_MS = 24 * HOUR_MS;
const MONDAY = Date.UTC(2025, 0, 6); // a Monday, 00:00 UTC

/** A window of 100 latencies with mean `mean` and sd 10: sumSq = 100*(mean^2 + 10^2). */
const window = (start: number, mean: number, events = 100, failures = 2): BaselineWindow => ({
  start,
  events,
  failures,
  latencyCount: 100,
  latencySum: 100 * mean,
  latencySumSq: 100 * (mean * mean + 100),
  p95: mean + 16,
  p99: mean + 23,
});

const latencyMean = (b: SeasonalBaseline, atMs: number) => meanAndSigma(b.baseline(atMs).moments).mean;

describe('daily cycle', () => {
  // Latency follows the hour of the day: 100 + 50 sin(2 pi h/24), so 150 at 06:00 and 50 at 18:00; overall mean 100.
  const cycle = (h: number) => 100 + 50 * Math.sin((2 * Math.PI * h) / 24);
  const build = (untilMs: number) => {
    const built = new SeasonalBaseline();
    const noise = normals(41);
    for (let t = MONDAY; t < untilMs; t += 60_000) built.add(window(t, cycle(Math.floor(t / HOUR_MS) % 24) + 2 * noise()), { inControl: true });
    return built;
  };
  const b = build(MONDAY + 3 * DAY_MS);

  test('after 3 days the baseline at hour h uses the same hour of those days, and tracks hour h', () => {
    for (let h = 0; h < 24; h++) {
      const at = MONDAY + 3 * DAY_MS + h * HOUR_MS;
      expect(b.baseline(at).kind).toBe('daily');
      // 180 windows (3 days x 60) with noise sd 2: the mean is within 1 of the cycle.
      expect(Math.abs(latencyMean(b, at) - cycle(h))).toBeLessThan(1);
    }
    expect(latencyMean(b, MONDAY + 3 * DAY_MS + 6 * HOUR_MS)).toBeGreaterThan(149);
    expect(latencyMean(b, MONDAY + 3 * DAY_MS + 18 * HOUR_MS)).toBeLessThan(51);
  });

  test('pooled counts are the sums over the chosen hours: 3 days x 60 windows x 100 events', () => {
    const base = b.baseline(MONDAY + 3 * DAY_MS + 6 * HOUR_MS);
    expect(base.proportion).toEqual({ events: 18_000, failures: 360 });
    expect(base.moments.count).toBe(18_000);
  });

  test('with only 2 previous days it falls back to the trailing windows', () => {
    const at = MONDAY + 2 * DAY_MS + 6 * HOUR_MS + 30 * 60_000;
    const base = build(at).baseline(at);
    expect(base.kind).toBe('trailing');
    // The last 60 windows before 06:30 on day 3: 05:30 to 06:29.
    expect(base.windows).toHaveLength(60);
    expect(base.windows[0].start).toBe(MONDAY + 2 * DAY_MS + 5 * HOUR_MS + 30 * 60_000);
    expect(base.proportion).toEqual({ events: 6000, failures: 120 });
  });

  test('the trailing windows come with every kind, oldest first, for moving ranges', () => {
    const at = MONDAY + 3 * DAY_MS; // just after the last window added
    const base = b.baseline(at);
    expect(base.kind).toBe('daily');
    expect(base.windows.map((w) => w.start)).toEqual(Array.from({ length: 60 }, (_, i) => at - (60 - i) * 60_000));
    const last = base.windows[59];
    expect(last.latencyMean).toBeCloseTo(last.latencySum / 100, 12);
    expect(last.p95).toBeCloseTo((last.latencyMean as number) + 16, 9);
  });
});

test('a weekly cycle: with two previous weeks a Saturday is judged against Saturdays', () => {
  // 10-minute windows; latency 200 at weekends, 100 on weekdays.
  const weekend = (t: number) => [5, 6].includes(Math.floor((t - MONDAY) / DAY_MS) % 7);
  const build = (days: number) => {
    const b = new SeasonalBaseline({ windowMs: 600_000 });
    for (let t = MONDAY; t < MONDAY + days * DAY_MS; t += 600_000) b.add(window(t, weekend(t) ? 200 : 100), { inControl: true });
    return b;
  };
  const thirdSaturday = MONDAY + 19 * DAY_MS + 10 * HOUR_MS;
  const b = build(19);
  expect(b.baseline(thirdSaturday).kind).toBe('weekly');
  expect(latencyMean(b, thirdSaturday)).toBeCloseTo(200, 9);
  // With one previous week only, the same hour of the previous 12 days mixes in 2 weekend days:
  // (2*200 + 10*100)/12 = 116.67.
  const secondSaturday = MONDAY + 12 * DAY_MS + 10 * HOUR_MS;
  const young = build(12);
  expect(young.baseline(secondSaturday).kind).toBe('daily');
  expect(latencyMean(young, secondSaturday)).toBeCloseTo(1400 / 12, 9);
});

test('out-of-control windows are kept out of the baseline', () => {
  const b = new SeasonalBaseline();
  b.add(window(MONDAY, 100), { inControl: true });
  b.add(window(MONDAY + 60_000, 900, 100, 90), { inControl: false });
  const base = b.baseline(MONDAY + 120_000);
  expect(base.windows).toHaveLength(1);
  expect(base.proportion).toEqual({ events: 100, failures: 2 });
  expect(meanAndSigma(base.moments).mean).toBe(100);
});

test('trailing: only the last trailingWindows windows before atMs; nothing at or after it', () => {
  const b = new SeasonalBaseline({ trailingWindows: 3 });
  for (let i = 0; i < 5; i++) b.add(window(MONDAY + i * 60_000, 10 * (i + 1)), { inControl: true });
  expect(b.baseline(MONDAY + 5 * 60_000).windows.map((w) => w.latencyMean)).toEqual([30, 40, 50]);
  // At 00:04 the window 00:04 itself is excluded, and 3 windows back reaches 00:01.
  const base = b.baseline(MONDAY + 4 * 60_000);
  expect(base.windows.map((w) => w.latencyMean)).toEqual([30, 40]);
  // Pooled over those two: 200 latencies, mean (30 + 40)/2 = 35.
  expect(meanAndSigma(base.moments).mean).toBeCloseTo(35, 12);
  expect(b.baseline(MONDAY + HOUR_MS).windows).toEqual([]);
});

test('a window without latencies keeps its quantiles and mean absent', () => {
  const b = new SeasonalBaseline();
  for (let t = MONDAY; t < MONDAY + 4 * DAY_MS; t += 15 * 60_000) b.add(window(t, 100 + (t % 7)), { inControl: true });
  const { p95: _p95, p99: _p99, ...noQuantiles } = window(MONDAY + 4 * DAY_MS, 100);
  b.add({ ...noQuantiles, latencyCount: 0, latencySum: 0, latencySumSq: 0 }, { inControl: true });
  b.add(window(MONDAY + 4 * DAY_MS + 60_000, 500), { inControl: false });
  const last = b.baseline(MONDAY + 4 * DAY_MS + 120_000).windows.at(-1);
  expect(last).toEqual({ start: MONDAY + 4 * DAY_MS, events: 100, failures: 2, latencyCount: 0, latencySum: 0, latencySumSq: 0 });
});

test('window length must divide an hour', () => {
  expect(() => new SeasonalBaseline({ windowMs: 7 * 60_000 })).toThrow(RangeError);
});
