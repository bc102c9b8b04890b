import { limitsAround, SHEWHART_K, type Limits } from './limits';

/** Running sums of individual latencies: they add across partitions and windows. */
export interface Moments {
  count: number;
  sum: number;
  sumSq: number;
}

/**
 * Mean and sample standard deviation (n - 1 denominator). NaN where undefined: the mean of no
 * values, the spread of fewer than two.
 */
export function meanAndSigma(m: Moments): { mean: number; sigma: number } {
  const mean = m.count > 0 ? m.sum / m.count : NaN;
  if (m.count < 2) return { mean, sigma: NaN };
  // sumSq - sum*mean cancels when sigma << mean; clamp the rounding residue rather than take sqrt(-0.0001).
  const variance = Math.max(0, (m.sumSq - m.sum * mean) / (m.count - 1));
  return { mean, sigma: Math.sqrt(variance) };
}

/**
 * X-bar limits for a window mean of n latencies. Centre = baseline mean; sigma of a window mean =
 * max(sigmaWithin/sqrt(n), sigmaBetween) (Montgomery, ISQC 7th ed., ch. 6, for sigma/sqrt(n)).
 * sigmaWithin/sqrt(n) alone is the textbook X-bar chart, but with thousands of latencies a window it
 * is far smaller than how much window means really wander; sigmaBetween, the moving-range sigma of
 * baseline window means, is that wander (as in Wheeler's three-way chart: Wheeler & Chambers,
 * Understanding Statistical Process Control, 2nd ed. 1992). Pass undefined with fewer than 2 windows.
 */
export function xbarLimits(baseline: { mean: number; sigmaWithin: number; sigmaBetween?: number }, n: number, k = SHEWHART_K): Limits {
  const sigma = Math.max(baseline.sigmaWithin / Math.sqrt(n), baseline.sigmaBetween ?? 0);
  if (!Number.isFinite(baseline.mean) || !Number.isFinite(sigma) || !(n > 0)) {
    throw new RangeError(`X-bar limits need a finite baseline mean and sigma and n > 0, got mean ${baseline.mean}, sigma ${sigma}, n ${n}`);
  }
  return limitsAround(baseline.mean, sigma, k);
}
