import { meanAndSigma, xbarLimits } from './xbar-chart';

describe('meanAndSigma', () => {
  test('1, 2, 3, 4: sum 10, sumSq 30, mean 2.5, variance (30 - 10*2.5)/3 = 5/3, sigma 1.2910', () => {
    const { mean, sigma } = meanAndSigma({ count: 4, sum: 10, sumSq: 30 });
    expect(mean).toBe(2.5);
    expect(sigma).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(sigma).toBeCloseTo(1.291, 3);
  });

  test('NaN where undefined: the mean of nothing, the spread of one value', () => {
    expect(meanAndSigma({ count: 0, sum: 0, sumSq: 0 }).mean).toBeNaN();
    expect(meanAndSigma({ count: 1, sum: 7, sumSq: 49 })).toEqual({ mean: 7, sigma: NaN });
  });

  test('identical large values: the rounding residue of sumSq - sum*mean gives 0, not NaN', () => {
    const v = 1e9 + 0.1;
    const count = 1000;
    expect(meanAndSigma({ count, sum: count * v, sumSq: count * v * v }).sigma).toBeLessThan(1e-3);
  });
});

describe('xbarLimits', () => {
  test('mean 200, sigmaWithin 50, n 100: sigma 50/sqrt(100) = 5, limits 200 +/- 15', () => {
    expect(xbarLimits({ mean: 200, sigmaWithin: 50 }, 100)).toEqual({ center: 200, ucl: 215, lcl: 185, sigma: 5 });
  });

  test('window means that wander more than sigma/sqrt(n) set the width: sigmaBetween 8 > 5 gives 200 +/- 24', () => {
    expect(xbarLimits({ mean: 200, sigmaWithin: 50, sigmaBetween: 8 }, 100)).toEqual({ center: 200, ucl: 224, lcl: 176, sigma: 8 });
    expect(xbarLimits({ mean: 200, sigmaWithin: 50, sigmaBetween: 2 }, 100).sigma).toBe(5);
  });

  test('k 2: 200 +/- 10', () => {
    expect(xbarLimits({ mean: 200, sigmaWithin: 50 }, 100, 2)).toMatchObject({ ucl: 210, lcl: 190 });
  });

  test('an undefined sigma (baseline of one latency) is refused, not charted as NaN', () => {
    expect(() => xbarLimits({ mean: 200, sigmaWithin: NaN }, 100)).toThrow(RangeError);
  });
});
