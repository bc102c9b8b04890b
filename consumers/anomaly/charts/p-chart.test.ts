import { laneyFactor, pChartLimits } from './p-chart';
import { normals } from './test-random';

describe('pChartLimits', () => {
  test('pbar 0.02, n 400: sigma = sqrt(0.02*0.98/400) = 0.0070, UCL 0.02 + 3*0.007 = 0.041, LCL 0.02 - 0.021 < 0 so 0', () => {
    const l = pChartLimits({ events: 50_000, failures: 1_000 }, 400);
    expect(l.center).toBeCloseTo(0.02, 12);
    expect(l.sigma).toBeCloseTo(0.007, 12);
    expect(l.ucl).toBeCloseTo(0.041, 12);
    expect(l.lcl).toBe(0);
  });

  test('k 2 and overdispersion 1.5: sigma 0.007*1.5 = 0.0105, limits 0.02 +/- 0.021 = [0, 0.041]; k 2 alone: 0.02 +/- 0.014', () => {
    const base = { events: 50_000, failures: 1_000 };
    const wide = pChartLimits(base, 400, { k: 2, overdispersion: 1.5 });
    expect(wide.sigma).toBeCloseTo(0.0105, 12);
    expect(wide.ucl).toBeCloseTo(0.041, 12);
    expect(wide.lcl).toBe(0);
    const narrow = pChartLimits(base, 400, { k: 2 });
    expect(narrow.ucl).toBeCloseTo(0.034, 12);
    expect(narrow.lcl).toBeCloseTo(0.006, 12);
  });

  test('the upper limit is clipped to 1: pbar 0.5, n 1 gives 0.5 + 3*0.5 = 2, so 1', () => {
    expect(pChartLimits({ events: 10, failures: 5 }, 1).ucl).toBe(1);
  });

  test('no baseline events or an empty window: nothing to chart', () => {
    expect(() => pChartLimits({ events: 0, failures: 0 }, 100)).toThrow(RangeError);
    expect(() => pChartLimits({ events: 100, failures: 1 }, 0)).toThrow(RangeError);
  });
});

describe('laneyFactor', () => {
  test('pbar 0.1, n 100 each: sigma_p 0.03; p 0.10 0.16 0.04 0.13 give z 0 2 -2 1, moving ranges 2 4 3, mean 3, 3/1.128 = 2.6596', () => {
    const windows = [10, 16, 4, 13].map((failures) => ({ events: 100, failures }));
    expect(laneyFactor(windows, 0.1)).toBeCloseTo(3 / 1.128, 10);
    expect(laneyFactor(windows, 0.1)).toBeCloseTo(2.6596, 4);
  });

  test('each window standardized by its own n: 10/100 gives z 0; 52/400 gives (0.13 - 0.1)/sqrt(0.09/400) = 0.03/0.015 = 2; 2/1.128 = 1.7730', () => {
    expect(laneyFactor([{ events: 100, failures: 10 }, { events: 400, failures: 52 }], 0.1)).toBeCloseTo(1.773, 3);
  });

  test('never narrows: windows that vary less than binomially give 1', () => {
    expect(laneyFactor([10, 11, 10, 11].map((failures) => ({ events: 100, failures })), 0.1)).toBe(1);
  });

  test('no information gives 1: fewer than two windows with events, or pbar 0', () => {
    expect(laneyFactor([{ events: 100, failures: 30 }], 0.1)).toBe(1);
    expect(laneyFactor([{ events: 0, failures: 0 }, { events: 100, failures: 30 }], 0.1)).toBe(1);
    expect(laneyFactor([10, 30].map((failures) => ({ events: 100, failures })), 0)).toBe(1);
  });

  test('recovers a known overdispersion from simulated windows', () => {
    // n 10 000 a window, pbar 0.02: binomial sd of p_i is sqrt(0.02*0.98/10000) = 0.0014. The true
    // rate itself wanders with sd 0.0028, so p_i has sd sqrt(0.0014^2 + 0.0028^2) = 0.00313 and the
    // factor should be 0.00313/0.0014 = 2.236 (= sqrt(5)).
    const z = normals(11);
    const n = 10_000;
    const binomialSd = Math.sqrt((0.02 * 0.98) / n);
    const windows = Array.from({ length: 2000 }, () => {
      const rate = 0.02 + 2 * binomialSd * z();
      return { events: n, failures: Math.round(n * rate + Math.sqrt(n * rate * (1 - rate)) * z()) };
    });
    const factor = laneyFactor(windows, 0.02);
    expect(factor).toBeGreaterThan(2.236 * 0.93);
    expect(factor).toBeLessThan(2.236 * 1.07);
  });
});
