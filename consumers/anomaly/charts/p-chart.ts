import { limitsAround, SHEWHART_K, type Limits } from './limits';
import { movingRangeSigma } from './moving-range';

export interface Proportion {
  events: number;
  failures: number;
}

/**
 * p-chart limits (Montgomery, ISQC 7th ed., ch. 7): p-bar +/- k*sqrt(pbar(1-pbar)/n) * overdispersion,
 * clipped to [0,1]. baseline = pooled trailing baseline; n = events of the window being judged.
 * Throws when either has no events: there is no rate to chart.
 */
export function pChartLimits(baseline: Proportion, n: number, opts: { k?: number; overdispersion?: number } = {}): Limits {
  if (!(baseline.events > 0) || !(n > 0)) throw new RangeError(`p-chart needs baseline events and window events > 0, got ${baseline.events} and ${n}`);
  const { k = SHEWHART_K, overdispersion = 1 } = opts;
  const pbar = baseline.failures / baseline.events;
  const limits = limitsAround(pbar, Math.sqrt((pbar * (1 - pbar)) / n) * overdispersion, k);
  return { ...limits, ucl: Math.min(1, limits.ucl), lcl: Math.max(0, limits.lcl) };
}

/**
 * Laney p' chart factor (Laney 2002, "Improved control charts for attributes", Quality Engineering
 * 14(4)): sigma_z = (mean moving range of z_i)/1.128 over baseline windows,
 * z_i = (p_i - pbar)/sqrt(pbar(1-pbar)/n_i). Returns max(1, sigma_z): it only ever widens, because
 * with very large n the binomial limits are too tight for real traffic, whose rate wanders between
 * windows. Windows without events, and a pbar of 0 or 1 (no binomial spread to compare with), give no
 * information; with fewer than two usable windows the factor is 1.
 */
export function laneyFactor(windows: readonly Proportion[], pbar: number): number {
  if (!(pbar > 0 && pbar < 1)) return 1;
  const z = windows.filter((w) => w.events > 0).map((w) => (w.failures / w.events - pbar) / Math.sqrt((pbar * (1 - pbar)) / w.events));
  return Math.max(1, movingRangeSigma(z) ?? 1);
}
