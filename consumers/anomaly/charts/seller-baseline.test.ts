import { HOUR_MS } from './hourly-ring';
import { SellerBaseline } from './seller-baseline';

const DAY_MS = 24 * HOUR_MS;
const MONDAY = Date.UTC(2025, 0, 6);
// Business hours 09:00-17:00: 10 events a window, 1 failing; otherwise 1 event, none failing.
const busy = (t: number) => {
  const h = Math.floor(t / HOUR_MS) % 24;
  return h >= 9 && h < 17;
};
const counts = (t: number) => (busy(t) ? { events: 10, failures: 1 } : { events: 1, failures: 0 });

const build = (untilMs: number, step = 60_000) => {
  const b = new SellerBaseline();
  for (let t = MONDAY; t < untilMs; t += step) b.add(t, counts(t));
  return b;
};

test('after 3 days the expectation follows the hour of the day, not the daily average', () => {
  const b = build(MONDAY + 3 * DAY_MS);
  // 10:00 on day 4: the 10:00 hours of days 1-3, 3 x 60 windows of 10 events, 1 failing.
  expect(b.expected(MONDAY + 3 * DAY_MS + 10 * HOUR_MS)).toEqual({ kind: 'daily', windows: 180, eventsPerWindow: 10, failureRate: 0.1 });
  // 03:00: 1 event a window, none failing (the daily average would be (8*10 + 16*1)/24 = 4).
  expect(b.expected(MONDAY + 3 * DAY_MS + 3 * HOUR_MS)).toEqual({ kind: 'daily', windows: 180, eventsPerWindow: 1, failureRate: 0 });
});

test('a new seller: the trailing windows, then nothing at all', () => {
  const b = build(MONDAY + 30 * 60_000);
  expect(b.expected(MONDAY + 30 * 60_000)).toEqual({ kind: 'trailing', windows: 30, eventsPerWindow: 1, failureRate: 0 });
  expect(new SellerBaseline().expected(MONDAY)).toEqual({ kind: 'trailing', windows: 0, eventsPerWindow: 0, failureRate: 0 });
});

test('empty windows count: a seller busy one minute in two expects half as many events a window', () => {
  const b = new SellerBaseline();
  for (let i = 0; i < 60; i++) b.add(MONDAY + i * 60_000, { events: i % 2 === 0 ? 4 : 0, failures: 0 });
  expect(b.expected(MONDAY + HOUR_MS).eventsPerWindow).toBe(2);
});

test('the first window of an hour does not evict the same hour two weeks earlier', () => {
  // 10-minute windows for exactly two weeks, then the first window of the next hour.
  const b = build(MONDAY + 14 * DAY_MS, 600_000);
  const next = MONDAY + 14 * DAY_MS;
  b.add(next, counts(next));
  // Weekly needs both next - 1 week and next - 2 weeks (= MONDAY): still kept.
  expect(b.expected(next + 600_000).kind).toBe('weekly');
});
