import { WesternElectric, type WeRule } from './western-electric';

const feed = (zs: number[], we = new WesternElectric()): WeRule[][] => zs.map((z) => we.push(z));

test('rule 1: one point beyond 3 sigma, either side (3 itself is not beyond)', () => {
  expect([3.1, -3.5, 3, -3].map((z) => new WesternElectric().push(z))).toEqual([[1], [1], [], []]);
});

test('rule 2: two of three beyond 2 on the same side', () => {
  expect(feed([2.5, 0, 2.1]).at(-1)).toEqual([2]);
  expect(feed([-2.5, -2.1]).at(-1)).toEqual([2]);
  expect(feed([2.5, 0, -2.1]).at(-1)).toEqual([]); // opposite sides
  expect(feed([2.5, 0, 0, 2.1]).at(-1)).toEqual([]); // not within three
});

test('rule 3: four of five beyond 1 on the same side', () => {
  expect(feed([1.5, 1.2, 0.5, 1.1, 1.3])).toEqual([[], [], [], [], [3]]);
  expect(feed([1.5, 1.2, 0.5, 1.1, -1.3]).at(-1)).toEqual([]);
  expect(feed([1.5, 1.2, 0.5, 0.5, 1.1, 1.3]).at(-1)).toEqual([]); // only three of the last five
});

test('rule 4: eight in a row on the same side; a point on the centre line breaks the run', () => {
  const fired = feed(Array(9).fill(0.5));
  expect(fired.slice(0, 7).every((r) => r.length === 0)).toBe(true);
  expect(fired[7]).toEqual([4]);
  expect(feed([...Array(4).fill(-0.5), 0, ...Array(4).fill(-0.5)]).every((r) => r.length === 0)).toBe(true);
});

test('several rules can fire on one point', () => {
  // 2.5 then 3.5: rule 1 (3.5 > 3) and rule 2 (both beyond 2).
  expect(feed([2.5, 3.5]).at(-1)).toEqual([1, 2]);
});

test('no reset after a signal: a persisting shift keeps firing, an excursion that ended does not', () => {
  expect(feed(Array(10).fill(0.5)).slice(7)).toEqual([[4], [4], [4]]);
  // Rule 2 fires at the second 2.5; the next point is ordinary and not part of any rule.
  expect(feed([2.5, 2.5, 0.1])).toEqual([[], [2], []]);
});

test('reset forgets the history', () => {
  const we = new WesternElectric();
  feed([2.5], we);
  we.reset();
  expect(we.push(2.5)).toEqual([]);
  expect(() => we.push(NaN)).toThrow(RangeError);
});
