import { HOURS_KEPT, HourlyRing } from './hourly-ring';

test('sums windows by hour and keeps the last HOURS_KEPT hours', () => {
  const ring = new HourlyRing(2, 'double');
  ring.add(1000, [1, 5]);
  ring.add(1000, [1, 7]);
  ring.add(1001, [1, 1]);
  expect(ring.total([1000])).toEqual([2, 12]);
  expect(ring.total([1000, 1001, 999])).toEqual([3, 13]); // 999 was never added
  // The hour HOURS_KEPT later takes the slot of 1000 and starts from zero.
  expect(ring.add(1000 + HOURS_KEPT, [1, 3])).toBe(true);
  expect(ring.holds(1000)).toBe(false);
  expect(ring.total([1000 + HOURS_KEPT])).toEqual([1, 3]);
  // A late window of an hour whose slot a later hour took is refused.
  expect(ring.add(1000, [1, 9])).toBe(false);
  expect(ring.total([1000 + HOURS_KEPT])).toEqual([1, 3]);
});

test('single precision keeps counts exact up to 2^24', () => {
  const ring = new HourlyRing(1, 'single');
  ring.add(5, [2 ** 24 - 1]);
  ring.add(5, [1]);
  expect(ring.total([5])).toEqual([2 ** 24]);
});
