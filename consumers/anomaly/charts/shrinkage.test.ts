import { shrunkRate } from './shrinkage';

test('3 events, 1 failure, prior 0.02 with strength 100: (1 + 100*0.02)/(3 + 100) = 3/103 = 0.02913, not 1/3', () => {
  expect(shrunkRate({ events: 3, failures: 1 }, 0.02, 100)).toBeCloseTo(3 / 103, 12);
});

test('no history gives the prior; a long one gives the seller its own rate', () => {
  expect(shrunkRate({ events: 0, failures: 0 }, 0.02, 100)).toBe(0.02);
  // 100 000 events, 10 000 failures: (10 000 + 2)/(100 100) = 0.09991, next to the own 0.1.
  expect(shrunkRate({ events: 100_000, failures: 10_000 }, 0.02, 100)).toBeCloseTo(10_002 / 100_100, 12);
});

test('strength 0 is the raw rate; nothing at all is refused', () => {
  expect(shrunkRate({ events: 4, failures: 1 }, 0.02, 0)).toBe(0.25);
  expect(() => shrunkRate({ events: 0, failures: 0 }, 0.02, 0)).toThrow(RangeError);
});
