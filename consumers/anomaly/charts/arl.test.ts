import { Ewma, EWMA_DEFAULTS } from './ewma';
import { averageRunLength, normals } from './test-random';
import { WesternElectric } from './western-electric';

// Average run lengths on simulated normal data against published figures. 4000 runs give a
// standard error of about 1/sqrt(4000) = 1.6% of the ARL (run lengths are roughly geometric, sd ~
// mean), so the 10% tolerance is 6 standard errors; the seeds are fixed anyway.
const RUNS = 4000;
const within = (measured: number, documented: number, tolerance: number) => {
  expect(measured).toBeGreaterThan(documented * (1 - tolerance));
  expect(measured).toBeLessThan(documented * (1 + tolerance));
};

test('Shewhart rule 1 alone: in-control ARL 1/P(|Z| > 3) = 1/0.0027 = 370.4', () => {
  const z = normals(1);
  const arl = averageRunLength(RUNS, () => new WesternElectric(), (we) => we.push(z()).includes(1));
  within(arl, 370.4, 0.1);
});

test('Western Electric rules 1-4 together: in-control ARL about 91.75 (Champ & Woodall 1987)', () => {
  const z = normals(2);
  const arl = averageRunLength(RUNS, () => new WesternElectric(), (we) => we.push(z()).length > 0);
  within(arl, 91.75, 0.1);
});

test('EWMA with the defaults: in-control ARL about 500 (Lucas & Saccucci 1990, lambda 0.2, L 2.962)', () => {
  const x = normals(3);
  const signals = (e: Ewma) => {
    const { value, limits } = e.update(x());
    return value > limits.ucl || value < limits.lcl;
  };
  const arl = averageRunLength(RUNS, () => new Ewma({ target: 0, sigma: 1 }), signals);
  expect(EWMA_DEFAULTS.arl0).toBe(500);
  // Exact-variance limits are narrower for the first points, so a little below 500 (about 490).
  within(arl, EWMA_DEFAULTS.arl0, 0.1);
});

describe('a sustained 1-sigma shift of the mean', () => {
  const shifted = (seed: number) => {
    const z = normals(seed);
    return () => 1 + z();
  };
  // Lucas & Saccucci 1990 (table reproduced in Montgomery, ISQC ch. 9): EWMA lambda 0.2, L 2.962, ARL 10.5.
  const EWMA_ARL1 = 10.5;
  // Shewhart 3-sigma: a point signals with P(Z > 3 - 1) + P(Z < -3 - 1) = 0.022750 + 0.000032, ARL 1/0.022782 = 43.9.
  const SHEWHART_ARL1 = 43.9;

  test('Shewhart rule 1 takes about 43.9 points to signal', () => {
    const x = shifted(4);
    within(
      averageRunLength(RUNS, () => new WesternElectric(), (we) => we.push(x()).includes(1)),
      SHEWHART_ARL1,
      0.1,
    );
  });

  test('the EWMA statistic against the asymptotic limits takes about 10.5', () => {
    const x = shifted(5);
    // The published ARLs use the asymptotic limits +/- L*sigma*sqrt(lambda/(2-lambda)) = +/- 2.962/3 = +/- 0.98733.
    const h = EWMA_DEFAULTS.L * Math.sqrt(EWMA_DEFAULTS.lambda / (2 - EWMA_DEFAULTS.lambda));
    expect(h).toBeCloseTo(0.98733, 5);
    const arl = averageRunLength(RUNS, () => new Ewma({ target: 0, sigma: 1 }), (e) => Math.abs(e.update(x()).value) > h);
    within(arl, EWMA_ARL1, 0.1);
  });

  test("with its own exact-variance limits the EWMA is faster still, four times faster than Shewhart's", () => {
    const x = shifted(6);
    const arl = averageRunLength(
      RUNS,
      () => new Ewma({ target: 0, sigma: 1 }),
      (e) => {
        const { value, limits } = e.update(x());
        return value > limits.ucl || value < limits.lcl;
      },
    );
    // The narrower early limits catch a shift present from the start sooner (about 9.5).
    expect(arl).toBeLessThan(EWMA_ARL1);
    expect(arl).toBeGreaterThan(EWMA_ARL1 * 0.8);
    expect(arl).toBeLessThan(SHEWHART_ARL1 / 4);
  });
});
