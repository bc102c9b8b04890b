import { limitsAround, SHEWHART_K, type Limits } from './limits';
import { movingRangeSigma } from './moving-range';

/**
 * Individuals (I-MR) chart limits, used for window p95 / p99 latency: centre = mean of the baseline
 * values, sigma = MRbar/1.128, d2 for n = 2 (Montgomery, ISQC 7th ed., ch. 6: x-bar +/- 3 MRbar/d2).
 */
export function individualsLimits(baselineValues: readonly number[], k = SHEWHART_K): Limits {
  const sigma = movingRangeSigma(baselineValues);
  if (sigma === undefined) throw new RangeError(`individuals limits need at least two baseline values, got ${baselineValues.length}`);
  const center = baselineValues.reduce((a, b) => a + b, 0) / baselineValues.length;
  return limitsAround(center, sigma, k);
}
