import { binomialLowerTail, binomialUpperTail, poissonLowerTail, poissonUpperTail } from './tails';

// Reference values by direct summation of the probability mass, independent of jstat.
// ln k!: exact sum of logs for small k, else Stirling's series (Abramowitz & Stegun 6.1.41), whose
// next term is below 1e-20 from k = 20.
const lnFactorial = (k: number): number => {
  if (k < 20) {
    let s = 0;
    for (let i = 2; i <= k; i++) s += Math.log(i);
    return s;
  }
  return k * Math.log(k) - k + 0.5 * Math.log(2 * Math.PI * k) + 1 / (12 * k) - 1 / (360 * k ** 3) + 1 / (1260 * k ** 5);
};
const binomialPmf = (j: number, n: number, p: number) => Math.exp(lnFactorial(n) - lnFactorial(j) - lnFactorial(n - j) + j * Math.log(p) + (n - j) * Math.log1p(-p));
const poissonPmf = (j: number, mu: number) => Math.exp(-mu + j * Math.log(mu) - lnFactorial(j));
/** Sums pmf(j) for j = from, from+step, ... until the terms stop mattering or j leaves [0, last]. */
const sumTail = (pmf: (j: number) => number, from: number, step: 1 | -1, last: number) => {
  let sum = 0;
  for (let j = from; step > 0 ? j <= last : j >= 0; j += step) {
    const term = pmf(j);
    sum += term;
    if (term < sum * 1e-18) break;
  }
  return sum;
};
const expectRelative = (actual: number, expected: number, tolerance: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance * expected);

describe('binomial tails', () => {
  test('P(X >= 1 | n 3, p 0.02) = 1 - 0.98^3 = 1 - 0.941192 = 0.058808', () => {
    expectRelative(binomialUpperTail(1, 3, 0.02), 0.058808, 1e-9);
  });

  test('every k of Binomial(10, 0.1) against sums of C(10,j) 0.1^j 0.9^(10-j); P(X >= 5) = 0.0016349', () => {
    const choose = (n: number, j: number) => {
      let c = 1;
      for (let i = 1; i <= j; i++) c = (c * (n - j + i)) / i;
      return c;
    };
    const pmf = (j: number) => choose(10, j) * 0.1 ** j * 0.9 ** (10 - j);
    for (let k = -1; k <= 11; k++) {
      let upper = 0;
      let lower = 0;
      for (let j = 0; j <= 10; j++) {
        if (j >= k) upper += pmf(j);
        if (j <= k) lower += pmf(j);
      }
      expectRelative(binomialUpperTail(k, 10, 0.1), upper, 1e-7);
      expectRelative(binomialLowerTail(k, 10, 0.1), lower, 1e-7);
    }
    expect(binomialUpperTail(5, 10, 0.1)).toBeCloseTo(0.0016349, 7);
  });

  test('far tails keep their relative accuracy: P(X >= 60 | 200, 0.02) is about 5e-52', () => {
    const reference = sumTail((j) => binomialPmf(j, 200, 0.02), 60, 1, 200);
    expect(reference).toBeGreaterThan(4e-52);
    expect(reference).toBeLessThan(6e-52);
    expectRelative(binomialUpperTail(60, 200, 0.02), reference, 1e-6);
  });

  test.each([
    // n, p, k: about 3 sd above and below the mean for the upper and lower tails
    [1_000_000, 0.02, 20_420],
    [100_000, 0.5, 50_475],
    [10_000_000, 0.001, 10_300],
  ])('large n: n %d, p %d, k %d against a direct sum', (n, p, k) => {
    const mirror = Math.round(2 * n * p) - k;
    expectRelative(binomialUpperTail(k, n, p), sumTail((j) => binomialPmf(j, n, p), k, 1, n), 1e-6);
    expectRelative(binomialLowerTail(mirror, n, p), sumTail((j) => binomialPmf(j, n, p), mirror, -1, n), 1e-6);
  });

  test('near the mean with huge n, where jStat.ibeta alone does not converge', () => {
    // For even n and p 1/2, P(X >= n/2) = (1 + P(X = n/2))/2, and P(X = n/2) = C(n, n/2)/2^n ~ sqrt(2/(pi n)).
    // n 1e6: sqrt(2/(pi*1e6)) = 7.97885e-4, so 0.50039894; n 1e8: 7.97885e-5, so 0.50003989.
    expect(binomialUpperTail(500_000, 1_000_000, 0.5)).toBeCloseTo(0.50039894, 6);
    expect(binomialUpperTail(50_000_000, 100_000_000, 0.5)).toBeCloseTo(0.50003989, 6);
    expect(binomialLowerTail(50_000_000, 100_000_000, 0.5)).toBeCloseTo(0.50003989, 6);
    // Inside the band at p 0.02 too, against a direct sum from k up: n 1e7, mean 200 000, sd 442.7.
    const n = 10_000_000;
    for (const k of [199_700, 200_000, 200_300]) expectRelative(binomialUpperTail(k, n, 0.02), sumTail((j) => binomialPmf(j, n, 0.02), k, 1, n), 1e-5);
  });

  test('lower and upper tails are complements: P(X <= k) + P(X >= k+1) = 1', () => {
    for (const [k, n, p] of [
      [3, 10, 0.3],
      [19_990, 1_000_000, 0.02],
      [0, 5, 0.5],
    ]) {
      expect(binomialLowerTail(k, n, p) + binomialUpperTail(k + 1, n, p)).toBeCloseTo(1, 7);
    }
  });

  test('degenerate p and out-of-range k', () => {
    expect(binomialUpperTail(1, 10, 0)).toBe(0);
    expect(binomialUpperTail(10, 10, 1)).toBe(1);
    expect(binomialLowerTail(0, 10, 0)).toBe(1);
    expect(binomialUpperTail(0, 10, 0.3)).toBe(1);
    expect(binomialUpperTail(11, 10, 0.3)).toBe(0);
    expect(binomialLowerTail(-1, 10, 0.3)).toBe(0);
    expect(binomialLowerTail(10, 10, 0.3)).toBe(1);
    expect(() => binomialUpperTail(1.5, 10, 0.3)).toThrow(RangeError);
    expect(() => binomialUpperTail(1, 10, 1.2)).toThrow(RangeError);
  });
});

describe('Poisson tails', () => {
  test('P(X >= 5 | Poisson(1)) = 1 - e^-1 (1 + 1 + 1/2 + 1/6 + 1/24) = 1 - 0.3678794*2.7083333 = 0.00366', () => {
    expect(poissonUpperTail(5, 1)).toBeCloseTo(0.00366, 5);
    expectRelative(poissonUpperTail(5, 1), 1 - Math.exp(-1) * (1 + 1 + 1 / 2 + 1 / 6 + 1 / 24), 1e-9);
  });

  test.each([0.5, 3, 20])('every x up to 40 of Poisson(%d) against direct sums', (mu) => {
    for (let x = 0; x <= 40; x++) {
      let lower = 0;
      for (let j = 0; j <= x; j++) lower += poissonPmf(j, mu);
      expect(poissonLowerTail(x, mu)).toBeCloseTo(lower, 10);
      const upper = x === 0 ? 1 : sumTail((j) => poissonPmf(j, mu), x, 1, Infinity);
      expectRelative(poissonUpperTail(x, mu), upper, 1e-7);
    }
  });

  test('large mu, 3 sd either side: mu 1e6, x 1 003 000 and 997 000', () => {
    const mu = 1_000_000;
    expectRelative(poissonUpperTail(1_003_000, mu), sumTail((j) => poissonPmf(j, mu), 1_003_000, 1, Infinity), 1e-6);
    expectRelative(poissonLowerTail(997_000, mu), sumTail((j) => poissonPmf(j, mu), 997_000, -1, Infinity), 1e-6);
  });

  test('a silent window: P(X <= 0 | mu) = e^-mu', () => {
    expectRelative(poissonLowerTail(0, 5), Math.exp(-5), 1e-9);
  });

  test('mu 0 and out-of-range x', () => {
    expect(poissonUpperTail(0, 0)).toBe(1);
    expect(poissonUpperTail(1, 0)).toBe(0);
    expect(poissonLowerTail(0, 0)).toBe(1);
    expect(poissonLowerTail(-1, 3)).toBe(0);
    expect(() => poissonUpperTail(2, -1)).toThrow(RangeError);
  });
});
