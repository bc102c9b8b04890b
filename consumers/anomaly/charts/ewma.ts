import { limitsAround, type Limits } from './limits';

/**
 * lambda 0.2, L 2.962: in-control ARL0 500, and ARL 10.5 for a 1-sigma shift of the mean, where a
 * 3-sigma Shewhart chart needs 43.9 (= 1/(P(Z>2) + P(Z<-4))). Lucas & Saccucci 1990, "Exponentially
 * weighted moving average control schemes", Technometrics 32(1); table reproduced in Montgomery,
 * ISQC 7th ed., ch. 9. Those figures are for the asymptotic limits; the exact-variance limits below
 * are narrower over the first ~10 points, which shortens both run lengths a little (arl.test.ts
 * measures 489 and 9.5).
 */
export const EWMA_DEFAULTS: { readonly lambda: number; readonly L: number; readonly arl0: number } = { lambda: 0.2, L: 2.962, arl0: 500 };

interface EwmaState {
  target: number;
  sigma: number;
  z: number;
  i: number;
}

const start = (target: number, sigma: number): EwmaState => {
  if (!Number.isFinite(target) || !(sigma > 0)) throw new RangeError(`EWMA needs a finite target and sigma > 0, got ${target} and ${sigma}`);
  return { target, sigma, z: target, i: 0 };
};

/** EWMA chart z_i = lambda*x_i + (1-lambda)*z_(i-1), z_0 = target (Montgomery, ISQC 7th ed., ch. 9). */
export class Ewma {
  readonly lambda: number;
  readonly L: number;
  private state: EwmaState;

  constructor(opts: { target: number; sigma: number; lambda?: number; L?: number }) {
    const { lambda = EWMA_DEFAULTS.lambda, L = EWMA_DEFAULTS.L } = opts;
    if (!(lambda > 0 && lambda <= 1) || !(L > 0)) throw new RangeError(`EWMA needs 0 < lambda <= 1 and L > 0, got ${lambda} and ${L}`);
    this.lambda = lambda;
    this.L = L;
    this.state = start(opts.target, opts.sigma);
  }

  /** Feeds one observation; returns the statistic and its (time-varying, exact-variance) limits. */
  update(x: number): { value: number; limits: Limits } {
    const s = this.state;
    const { lambda } = this;
    s.i += 1;
    s.z = lambda * x + (1 - lambda) * s.z;
    // Var(z_i) = sigma^2 * lambda/(2-lambda) * (1 - (1-lambda)^(2i)): early points average fewer
    // observations, so the limits start at lambda*sigma*L and widen to the asymptotic ones.
    const sd = s.sigma * Math.sqrt((lambda / (2 - lambda)) * (1 - (1 - lambda) ** (2 * s.i)));
    return { value: s.z, limits: limitsAround(s.target, sd, this.L) };
  }

  /** Starts over (z = target, exact-variance limits from i = 1 again), e.g. after the baseline moved. */
  reset(target: number, sigma: number): void {
    this.state = start(target, sigma);
  }
}
