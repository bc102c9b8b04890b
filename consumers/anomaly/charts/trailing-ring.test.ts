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
