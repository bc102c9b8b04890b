import { benjaminiHochberg } from './multiple-testing';
import { pChartLimits } from './p-chart';
import { shrunkRate } from './shrinkage';
import { binomialUpperTail, poissonLowerTail } from './tails';
import { mulberry32 } from './test-random';

// One window of 2000 sellers judged at once, as the worker does: exact tails per seller, then
// Benjamini-Hochberg at q 0.05 over all the tests. Small sellers must not be flagged on noise.
const GLOBAL_RATE = 0.02;
const STRENGTH = 100;
const Q = 0.05;

interface Test {
  seller: string;
  p: number;
}

function inControlSellers(count: number, seed: number): Test[] {
  const u = mulberry32(seed);
  const sizes = [3, 10, 50, 200, 1000];
  return Array.from({ length: count }, (_, i) => {
    const events = sizes[i % sizes.length];
    let failures = 0;
    for (let e = 0; e < events; e++) if (u() < GLOBAL_RATE) failures += 1;
    return { seller: `s${i}`, p: binomialUpperTail(failures, events, GLOBAL_RATE) };
  });
}

const discoveries = (tests: Test[]) =>
  benjaminiHochberg(
    tests.filter((t) => t.p <= Q),
    tests.length,
    Q,
  ).map((t) => t.seller);

test('failure rate: 1 of 3 is not flagged, 60 of 200 is; a normal-approximation p-chart would flag the small one too', () => {
  // A seller without history is judged against the prior: the shrunk rate of nothing is 0.02.
  const rate = shrunkRate({ events: 0, failures: 0 }, GLOBAL_RATE, STRENGTH);
  const small = { seller: 'small', p: binomialUpperTail(1, 3, rate) }; // 1 - 0.98^3 = 0.0588
  const big = { seller: 'big', p: binomialUpperTail(60, 200, rate) }; // about 5e-52
  expect(small.p).toBeCloseTo(0.058808, 6);
  expect(big.p).toBeLessThan(1e-40);
  const flagged = discoveries([...inControlSellers(1998, 31), small, big]);
  expect(flagged).toEqual(['big']);
  // p-chart with n 3: 0.02 + 3*sqrt(0.02*0.98/3) = 0.02 + 3*0.0808 = 0.2625 < 1/3.
  expect(1 / 3).toBeGreaterThan(pChartLimits({ events: 1000, failures: 20 }, 3).ucl);
});

test('a small seller with a bad little history is judged against its shrunk rate, and still not flagged', () => {
  // History 3 events, 1 failure: rate (1 + 100*0.02)/(3 + 100) = 0.0291, not 1/3.
  const rate = shrunkRate({ events: 3, failures: 1 }, GLOBAL_RATE, STRENGTH);
  expect(rate).toBeCloseTo(0.0291, 4);
  // Even 2 failures of 3 now: P = 3*0.0291^2*0.9709 + 0.0291^3 = 0.00249, far above 0.05/2000.
  const small = { seller: 'small', p: binomialUpperTail(2, 3, rate) };
  expect(small.p).toBeCloseTo(3 * rate ** 2 * (1 - rate) + rate ** 3, 12);
  expect(discoveries([...inControlSellers(1999, 32), small])).toEqual([]);
});

test('volume: a quiet window of a seller expecting 2 events is not flagged, of one expecting 400 is', () => {
  // P(X <= 0 | 2) = e^-2 = 0.135; P(X <= 0 | 400) = e^-400.
  const small = { seller: 'small', p: poissonLowerTail(0, 2) };
  const big = { seller: 'big', p: poissonLowerTail(0, 400) };
  expect(small.p).toBeCloseTo(Math.exp(-2), 12);
  expect(discoveries([...inControlSellers(1998, 33), small, big])).toEqual(['big']);
});
