import { individualsLimits } from './individuals-chart';
import { movingRangeSigma } from './moving-range';
import { normals } from './test-random';

test('10 12 11 15 12: mean 12, moving ranges 2 1 4 3, MRbar 2.5, sigma 2.5/1.128 = 2.2163, limits 12 +/- 6.649 (= 2.66 MRbar)', () => {
  const l = individualsLimits([10, 12, 11, 15, 12]);
  expect(l.center).toBe(12);
  expect(l.sigma).toBeCloseTo(2.5 / 1.128, 12);
  expect(l.ucl).toBeCloseTo(18.649, 3);
  expect(l.lcl).toBeCloseTo(5.351, 3);
  expect(individualsLimits([10, 12, 11, 15, 12], 2).ucl).toBeCloseTo(12 + 2 * 2.2163, 3);
});

test('one value has no moving range', () => {
  expect(() => individualsLimits([10])).toThrow(RangeError);
  expect(movingRangeSigma([10])).toBeUndefined();
});

test('MRbar/1.128 estimates sigma of independent normal data (E|X1 - X2| = 2 sigma/sqrt(pi) = 1.1284 sigma)', () => {
  const z = normals(21);
  const values = Array.from({ length: 20_000 }, () => 50 + 4 * z());
  const sigma = movingRangeSigma(values) as number;
  expect(sigma).toBeGreaterThan(4 * 0.98);
  expect(sigma).toBeLessThan(4 * 1.02);
});

test('a slow drift inflates the sample standard deviation but hardly the moving-range sigma', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + (i % 2));
  // 0 2 2 4 4 6 ... 100: the sample sd is about 100/sqrt(12) = 29; consecutive differences are 2
  // and 0 alternately, MRbar 100/99 (50 ranges of 2, 49 of 0), sigma 100/99/1.128 = 0.8955.
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sampleSd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
  expect(sampleSd).toBeGreaterThan(28);
  expect(movingRangeSigma(values)).toBeCloseTo(100 / 99 / 1.128, 12);
});
