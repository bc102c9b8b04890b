/** Control limits of one point on a chart. */
export interface Limits {
  center: number;
  ucl: number;
  lcl: number;
  /** one-sigma width of a point on this chart, used by zone rules */
  sigma: number;
}

/** Three-sigma limits: an in-control normal point falls outside with probability 0.0027 (ARL 370.4). */
export const SHEWHART_K = 3;

/** Shewhart's general model: centre +/- k sigma of the plotted statistic (Montgomery, Introduction to Statistical Quality Control, 7th ed., ch. 5). */
export function limitsAround(center: number, sigma: number, k: number): Limits {
  return { center, ucl: center + k * sigma, lcl: center - k * sigma, sigma };
}
