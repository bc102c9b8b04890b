import { TrailingRing } from './trailing-ring';

test('keeps the last `capacity` rows in the order added', () => {
  const ring = new TrailingRing(2, 3);
  for (let i = 1; i <= 5; i++) ring.push([i * 100, i]);
  expect(ring.all()).toEqual([
    [300, 3],
    [400, 4],
    [500, 5],
  ]);
  expect(ring.startingIn(400, 500)).toEqual([[400, 4]]);
});

test('snapshot carries NaN as null through JSON and back', () => {
  const ring = new TrailingRing(2, 3);
  ring.push([100, NaN]);
  ring.push([200, 2]);
  const json = JSON.parse(JSON.stringify(ring.snapshot()));
  expect(json).toEqual([100, null, 200, 2]);
  expect(TrailingRing.restore(2, 3, json).all()).toEqual([
    [100, NaN],
    [200, 2],
  ]);
});
