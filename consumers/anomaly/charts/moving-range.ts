/** d2 for subgroups of two: E|X1 - X2| = 1.128 sigma for normal X (Montgomery, ISQC 7th ed., Appendix Table VI). */
export const D2_PAIRS = 1.128;

/**
 * Short-term sigma of a sequence from its moving ranges, mean |x_i - x_(i-1)| / d2 (Montgomery,
 * ISQC ch. 6, individuals chart). Unlike the sample standard deviation it ignores slow drift
 * between distant points. Undefined for fewer than two values.
 */
export function movingRangeSigma(values: readonly number[]): number | undefined {
  if (values.length < 2) return undefined;
  let total = 0;
  for (let i = 1; i < values.length; i++) total += Math.abs(values[i] - values[i - 1]);
  return total / (values.length - 1) / D2_PAIRS;
}
