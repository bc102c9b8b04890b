/**
 * Seeded randomness for the simulator: one small PRNG and the samplers the traffic model needs,
 * as plain functions over it, so a run is reproducible from its seed alone.
 */

// Module-level aliases: hot code then reads no globals, which are slow to resolve inside vm
// contexts such as jest's (several times slower there), and costs nothing elsewhere.
const { imul, log, exp, sqrt, cos, floor, abs, PI } = Math;

/** Uniform in [0, 1), 32 bits of resolution. */
export type Rng = () => number;

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** splitmix32 finaliser: a bijection on 32 bits, so distinct inputs give distinct state words. */
function mix32(x: number): number {
  let z = x | 0;
  z = imul(z ^ (z >>> 16), 0x85ebca6b);
  z = imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * xoshiro128** (period 2^128 - 1: a week at 1000 events/s draws billions of numbers, more than
 * mulberry32's 2^32 period). `stream` gives independent sequences for one seed, e.g. one for the
 * seller population and one for the traffic, so adding traffic draws never reshuffles sellers.
 */
export function createRng(seed: number, stream = 0): Rng {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) throw new RangeError(`stream must be a 32-bit unsigned integer, got ${stream}`);
  const lo = seed >>> 0;
  const hi = floor(seed / 0x1_0000_0000) >>> 0;
  // Each input lands in its own state word through a bijection, so (seed, stream) -> state is injective.
  let s0 = mix32(lo + 0x9e3779b9);
  let s1 = mix32(lo + 0x3c6ef372);
  let s2 = mix32(lo + 0xdaa66d2b) ^ hi;
  let s3 = mix32(lo + 0x78dde6e4) ^ mix32(stream + 0x1715609d);
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1; // the all-zero state is a fixed point
  return () => {
    const result = imul(rotl(imul(s1, 5), 7), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return (result >>> 0) / 0x1_0000_0000;
  };
}

export const uniform = (rng: Rng, min: number, max: number): number => min + (max - min) * rng();

/** Integer in [0, n). */
export const uniformInt = (rng: Rng, n: number): number => floor(rng() * n);

export const bernoulli = (rng: Rng, p: number): boolean => rng() < p;

/** Box-Muller; uses one of the pair, trading a second draw for no hidden state. */
export function normal(rng: Rng, mean = 0, sd = 1): number {
  const u = 1 - rng(); // (0, 1]: log(0) would be -Infinity
  return mean + sd * sqrt(-2 * log(u)) * cos(2 * PI * rng());
}

/** Parameterised by the median (e^mu), which is how latencies are usually quoted. */
export const logNormal = (rng: Rng, median: number, sigma: number): number => median * exp(sigma * normal(rng));

/** Waiting time of a Poisson process with `rate` events per unit. */
export const exponential = (rng: Rng, rate: number): number => -log(1 - rng()) / rate;

/** ln(k!): exact table for small k, Stirling series beyond (error < 1e-10 from k = 10). */
const LOG_FACTORIAL_SMALL = Array.from({ length: 10 }, (_, k) => {
  let f = 0;
  for (let i = 2; i <= k; i++) f += log(i);
  return f;
});
function logFactorial(k: number): number {
  if (k < 10) return LOG_FACTORIAL_SMALL[k];
  return k * log(k) - k + 0.5 * log(2 * PI * k) + 1 / (12 * k) - 1 / (360 * k * k * k);
}

/** Knuth's product method below 30 (cost grows with the mean); Hörmann's PTRS rejection above. */
export function poisson(rng: Rng, mean: number): number {
  if (mean < 30) {
    const limit = exp(-mean);
    let k = 0;
    let p = rng();
    while (p > limit) {
      k++;
      p *= rng();
    }
    return k;
  }
  const logMean = log(mean);
  const b = 0.931 + 2.53 * sqrt(mean);
  const a = -0.059 + 0.02483 * b;
  const logInvAlpha = log(1.1239 + 1.1328 / (b - 3.4));
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng() - 0.5;
    const v = rng();
    const us = 0.5 - abs(u);
    const k = floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (log(v) + logInvAlpha - log(a / (us * us) + b) <= -mean + k * logMean - logFactorial(k)) return k;
  }
}

/** A fixed discrete distribution over indices 0..n-1, sampled by binary search of its CDF. */
export interface Discrete {
  sample(rng: Rng): number;
  readonly probabilities: Float64Array;
}

export function weightedChoice(weights: ArrayLike<number>): Discrete {
  const n = weights.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    if (!(w >= 0 && Number.isFinite(w))) throw new RangeError(`weight ${i} must be a finite number >= 0, got ${w}`);
    total += w;
  }
  if (!(total > 0)) throw new RangeError('weights must include at least one positive value');
  const probabilities = new Float64Array(n);
  const cdf = new Float64Array(n);
  let acc = 0;
  let lastPositive = 0;
  for (let i = 0; i < n; i++) {
    probabilities[i] = weights[i] / total;
    acc += probabilities[i];
    cdf[i] = acc;
    if (weights[i] > 0) lastPositive = i;
  }
  // Rounding can leave the sum a hair under 1; pin it so every u < 1 lands on a positive weight.
  cdf.fill(1, lastPositive);
  return {
    probabilities,
    sample(rng) {
      const u = rng();
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cdf[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    },
  };
}

/** Zipf over ranks 1..n with P(rank k) ∝ k^-exponent; returns the index k - 1. */
export function zipf(n: number, exponent: number): Discrete {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`zipf needs at least one rank, got ${n}`);
  if (!(exponent >= 0 && Number.isFinite(exponent))) throw new RangeError(`zipf exponent must be a finite number >= 0, got ${exponent}`);
  const weights = new Float64Array(n);
  for (let k = 1; k <= n; k++) weights[k - 1] = k ** -exponent;
  return weightedChoice(weights);
}
