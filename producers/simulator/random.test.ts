import { bernoulli, createRng, exponential, logNormal, normal, poisson, type Rng, uniform, uniformInt, weightedChoice, zipf } from './random';

const N = 200_000;
const draw = (n: number, f: () => number): number[] => Array.from({ length: n }, f);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: number[]): number => {
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
};

test('the generator is deterministic per seed and stream, and uniform in [0, 1)', () => {
  const first = (rng: Rng) => draw(5, rng);
  expect(first(createRng(1))).toEqual(first(createRng(1)));
  expect(first(createRng(1))).not.toEqual(first(createRng(2)));
  expect(first(createRng(1))).not.toEqual(first(createRng(1, 1)));
  expect(first(createRng(2 ** 40))).not.toEqual(first(createRng(0)));
  const xs = draw(N, createRng(9));
  expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  expect(mean(xs)).toBeCloseTo(0.5, 2);
  expect(variance(xs)).toBeCloseTo(1 / 12, 2);
  // Deciles hold ~10% each.
  const deciles = new Array<number>(10).fill(0);
  for (const x of xs) deciles[Math.floor(x * 10)]++;
  for (const d of deciles) expect(Math.abs(d / N - 0.1)).toBeLessThan(0.005);
});

test('bad seeds are refused', () => {
  expect(() => createRng(0.5)).toThrow(/seed must be a safe integer/);
  expect(() => createRng(1, -1)).toThrow(/stream must be/);
});

test('uniform, uniformInt and bernoulli', () => {
  const rng = createRng(2);
  expect(mean(draw(N, () => uniform(rng, 10, 20)))).toBeCloseTo(15, 1);
  const ints = draw(N, () => uniformInt(rng, 6));
  expect(new Set(ints)).toEqual(new Set([0, 1, 2, 3, 4, 5]));
  expect(mean(draw(N, () => (bernoulli(rng, 0.3) ? 1 : 0)))).toBeCloseTo(0.3, 2);
});

test('normal, log-normal and exponential have their parameters', () => {
  const rng = createRng(3);
  const z = draw(N, () => normal(rng, 5, 2));
  expect(mean(z)).toBeCloseTo(5, 1);
  expect(Math.sqrt(variance(z))).toBeCloseTo(2, 1);
  const ln = draw(N, () => logNormal(rng, 800, 0.6)).sort((a, b) => a - b);
  expect(ln[N / 2] / 800).toBeCloseTo(1, 1);
  expect(Math.log(ln[Math.round(N * 0.8413)] / 800)).toBeCloseTo(0.6, 1); // one sigma up
  expect(mean(draw(N, () => exponential(rng, 4)))).toBeCloseTo(0.25, 2);
});

test.each([0.3, 2.5, 29, 30, 250])('poisson(%p) has mean and variance equal to its parameter', (lambda) => {
  const rng = createRng(4);
  const xs = draw(N, () => poisson(rng, lambda));
  expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
  expect(mean(xs) / lambda).toBeGreaterThan(0.98);
  expect(mean(xs) / lambda).toBeLessThan(1.02);
  expect(variance(xs) / lambda).toBeGreaterThan(0.96);
  expect(variance(xs) / lambda).toBeLessThan(1.04);
});

test('weightedChoice follows its weights and never picks a zero weight', () => {
  const choice = weightedChoice([0, 3, 0, 1, 0]);
  expect(Array.from(choice.probabilities)).toEqual([0, 0.75, 0, 0.25, 0]);
  const rng = createRng(5);
  const counts = [0, 0, 0, 0, 0];
  for (let i = 0; i < N; i++) counts[choice.sample(rng)]++;
  expect(counts[0] + counts[2] + counts[4]).toBe(0);
  expect(counts[1] / N).toBeCloseTo(0.75, 2);
  expect(() => weightedChoice([0, 0])).toThrow(/at least one positive/);
  expect(() => weightedChoice([1, -1])).toThrow(/weight 1 must be a finite number >= 0/);
});

test('zipf: P(rank k) is proportional to k^-s', () => {
  const z = zipf(1000, 1.1);
  expect(z.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  expect(z.probabilities[0] / z.probabilities[1]).toBeCloseTo(2 ** 1.1, 10);
  expect(z.probabilities[9] / z.probabilities[99]).toBeCloseTo(10 ** 1.1, 8);
  const rng = createRng(6);
  let first = 0;
  for (let i = 0; i < N; i++) if (z.sample(rng) === 0) first++;
  expect(first / N / z.probabilities[0]).toBeGreaterThan(0.97);
  expect(first / N / z.probabilities[0]).toBeLessThan(1.03);
  expect(() => zipf(0, 1)).toThrow(/at least one rank/);
});
