/** Default shape of the simulated marketplace: where uploads come from and how each source behaves. */

export interface OriginProfile {
  /** Sent as the event's `origin` (at most 64 characters). */
  name: string;
  /** Share of upload attempts from this origin across the marketplace. */
  weight: number;
  /** Relative failure propensity; scaled so the marketplace-wide failure rate is the configured one. */
  failureFactor: number;
  /** Median of ts - up_ts on the event that creates an item, and its log-normal sigma. */
  latencyMedianMs: number;
  latencySigma: number;
  /** Mean number of UPDATE events before the final SAVE or ERROR (Poisson). */
  meanUpdates: number;
  /** Median gap between consecutive events of one attempt (log-normal, sigma STEP_SIGMA). */
  stepMedianMs: number;
}

export const DEFAULT_ORIGINS: readonly OriginProfile[] = [
  { name: 'seller-api', weight: 0.6, failureFactor: 0.7, latencyMedianMs: 800, latencySigma: 0.6, meanUpdates: 0.3, stepMedianMs: 1_500 },
  // Spreadsheet imports: slow, multi-step, and the most error-prone.
  { name: 'xlsx-import', weight: 0.25, failureFactor: 2, latencyMedianMs: 2_500, latencySigma: 0.6, meanUpdates: 1, stepMedianMs: 4_000 },
  // A person editing in the web UI: several saves, long pauses between them.
  { name: 'ui', weight: 0.15, failureFactor: 1, latencyMedianMs: 1_200, latencySigma: 0.6, meanUpdates: 1.5, stepMedianMs: 15_000 },
];

export const STEP_SIGMA = 1;

/** Share of sellers' volume by home country (ISO 3166-1 alpha-2). */
export const DEFAULT_COUNTRIES: Readonly<Record<string, number>> = {
  RU: 0.55,
  KZ: 0.1,
  BY: 0.08,
  CN: 0.08,
  UZ: 0.07,
  TR: 0.05,
  AM: 0.03,
  KG: 0.02,
  GE: 0.02,
};

export const CATEGORIES = ['apparel', 'shoes', 'electronics', 'home', 'beauty', 'toys', 'sports', 'books', 'auto', 'grocery'] as const;

/** Photos per item: Poisson mean, capped; sizes log-normal around a typical product photo. */
export const MEDIA = { meanFiles: 2.5, maxFiles: 8, sizeMedianBytes: 250_000, sizeSigma: 0.9 } as const;
