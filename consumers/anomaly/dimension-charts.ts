import { binomialUpperTail, Ewma, individualsLimits, limitsAround, SHEWHART_K, laneyFactor, meanAndSigma, pChartLimits, SeasonalBaseline, WesternElectric, xbarLimits, type Limits, type WeRule } from './charts';
import type { BreachRule, ChartPoint, DimensionChart } from './breaches';
import { latencyQuantile, SKETCH_RELATIVE_ACCURACY, type WindowStats } from './window-stats';

/**
 * The control charts of one dimension (global, an origin, a country), fed one closed window at a
 * time in event-time order:
 * - failure_rate: p-chart of failed over ended attempts around the baseline's pooled rate, widened
 *   by Laney's factor when the baseline windows vary more than binomially (real traffic does);
 * - latency_mean: X-bar of the window's mean latency, sigma from the baseline;
 * - latency_p95 / latency_p99: individuals charts of the window quantiles, in log space (latency is
 *   right-skewed, its logarithm close to normal: linear limits page on every long-tail minute);
 * - latency_ewma: EWMA of the X-bar chart's standardized value (target 0, sigma 1), so one chart
 *   follows a seasonal centre line; only its own limits apply (runs rules assume independent
 *   points and the EWMA statistic is autocorrelated by construction).
 * Western Electric rules 1-4 run on every other chart. Windows with a point beyond 4 sigma stay
 * out of the baseline so an incident does not widen the limits that should catch it; not every
 * rule-1 point: cutting the baseline's tails at 3 sigma narrows the next limits, which then cut
 * more, and the charts page on their own noise.
 */

export interface DimensionChartOptions {
  windowMs: number;
  /** Baseline windows needed before limits are drawn. */
  minBaselineWindows: number;
  ewma: { lambda: number; L: number };
}

/** One dimension's closed window as the charts saw it: what a successor rebuilds baselines from. */
export interface DimensionWindow {
  dimension: string;
  start: number;
  events: number;
  attempts: number;
  failures: number;
  latencyCount: number;
  latencySum: number;
  latencySumSq: number;
  latencyMean?: number;
  p95?: number;
  p99?: number;
  inControl: boolean;
}

const EXCLUDE_SIGMAS = 4;
// P(Z >= 4), one-sided.
const EXCLUDE_TAIL = 3.17e-5;
// Two buckets of the sketch's relative accuracy, in log units.
const QUANTILE_SIGMA_FLOOR = 2 * Math.log1p(SKETCH_RELATIVE_ACCURACY);

// Fewer latencies than this leave a statistic too noisy and too skewed for 3-sigma limits: a
// quantile needs about 20 values beyond it.
export const MIN_LATENCIES = { mean: 100, p95: 400, p99: 2000 } as const;
// The p-chart's normal approximation needs n * pbar >= 5 (Montgomery): fewer expected failures are charted, not judged.
const MIN_EXPECTED_FAILURES = 5;

/**
 * I-MR limits on log values, drawn back in the original unit; sigma stays in log units. The
 * sketch quantizes each quantile to within its relative accuracy, so neighbouring windows often
 * read the very same bucket: sigma is floored at that quantization or the limits hug the centre.
 */
function logIndividualsLimits(values: number[], minValues: number): { display: Limits; log: Limits } | undefined {
  const logs = values.filter((v) => v > 0).map(Math.log);
  if (logs.length < minValues) return undefined;
  const fitted = individualsLimits(logs);
  // The moving range sees only window-to-window noise; a quantile also wanders with the mix of
  // origins and sellers over minutes, which the baseline's plain standard deviation does see.
  const spread = Math.sqrt(logs.reduce((sum, v) => sum + (v - fitted.center) ** 2, 0) / (logs.length - 1));
  const log = limitsAround(fitted.center, Math.max(fitted.sigma, spread, QUANTILE_SIGMA_FLOOR), SHEWHART_K);
  return { log, display: { center: Math.exp(log.center), ucl: Math.exp(log.ucl), lcl: Math.exp(log.lcl), sigma: log.sigma } };
}

const RULES = (rules: WeRule[]): BreachRule[] => rules.map((r) => String(r) as BreachRule);

export class DimensionCharts {
  private readonly baseline: SeasonalBaseline;
  private readonly rules = new Map<DimensionChart, WesternElectric>();
  private readonly ewma: Ewma;

  constructor(
    readonly dimension: string,
    private readonly options: DimensionChartOptions,
  ) {
    this.baseline = new SeasonalBaseline({ windowMs: options.windowMs });
    this.ewma = new Ewma({ target: 0, sigma: 1, lambda: options.ewma.lambda, L: options.ewma.L });
  }

  /** Judges one window against the baseline, then adds it to the baseline if it was in control. */
  /** Adds a window judged earlier (by a predecessor) to the baseline; out-of-control ones are skipped there too. */
  seed(w: DimensionWindow): void {
    // The baseline's trials are attempts: they go where its windows keep events.
    const { inControl, dimension, events, attempts, ...window } = w;
    this.baseline.add({ ...window, events: attempts }, { inControl });
  }

  evaluate(windowStart: number, stats: WindowStats): { points: ChartPoint[]; window: DimensionWindow } {
    const base = this.baseline.baseline(windowStart);
    const ready = base.windows.length >= this.options.minBaselineWindows;
    const points: ChartPoint[] = [];
    const zOf = new Map<ChartPoint, number>();
    /** `z` defaults to the value standardized by the limits. */
    const point = (chart: DimensionChart, value: number, n: number, limits: Limits | undefined, z = limits ? (value - limits.center) / limits.sigma : 0) => {
      const rules = limits && limits.sigma > 0 ? this.judge(chart, z) : [];
      const p: ChartPoint = { chart, dimension: this.dimension, windowStart, value, n, rules, ...(limits ? { limits } : {}) };
      points.push(p);
      zOf.set(p, z);
      return p;
    };

    if (stats.attempts > 0) {
      const pbar = base.proportion.events > 0 ? base.proportion.failures / base.proportion.events : 0;
      const judged = ready && stats.attempts * pbar >= MIN_EXPECTED_FAILURES;
      const limits = judged ? pChartLimits(base.proportion, stats.attempts, { overdispersion: laneyFactor(base.windows, pbar) }) : undefined;
      const p = point('failure_rate', stats.failures / stats.attempts, stats.attempts, limits);
      // Too few expected failures for limits, yet a spike must not enter the baseline meant to catch
      // it: the exact binomial tail decides, at the same 4-sigma odds as the judged windows.
      if (!judged && ready && pbar > 0 && binomialUpperTail(stats.failures, stats.attempts, pbar) < EXCLUDE_TAIL) zOf.set(p, EXCLUDE_SIGMAS);
    }

    const p95 = stats.latencyCount >= MIN_LATENCIES.p95 ? latencyQuantile(stats, 0.95) : undefined;
    const p99 = stats.latencyCount >= MIN_LATENCIES.p99 ? latencyQuantile(stats, 0.99) : undefined;
    if (stats.latencyCount >= MIN_LATENCIES.mean) {
      const mean = stats.latencySum / stats.latencyCount;
      const within = meanAndSigma(base.moments);
      const means = base.windows.flatMap((w) => (w.latencyMean === undefined ? [] : [w.latencyMean]));
      const between = means.length >= this.options.minBaselineWindows ? individualsLimits(means).sigma : undefined;
      const xbar = ready && base.moments.count > 1 ? xbarLimits({ mean: within.mean, sigmaWithin: within.sigma, sigmaBetween: between }, stats.latencyCount) : undefined;
      point('latency_mean', mean, stats.latencyCount, xbar);
      const quantile = (chart: DimensionChart, value: number | undefined, pick: (w: (typeof base.windows)[number]) => number | undefined) => {
        if (value === undefined || value <= 0) return;
        // A moving range needs as many windows as any baseline: a few quiet night windows say little.
        const limits = ready ? logIndividualsLimits(base.windows.flatMap((w) => pick(w) ?? []), this.options.minBaselineWindows) : undefined;
        point(chart, value, stats.latencyCount, limits?.display, limits ? (Math.log(value) - limits.log.center) / limits.log.sigma : 0);
      };
      quantile('latency_p95', p95, (w) => w.p95);
      quantile('latency_p99', p99, (w) => w.p99);
      if (xbar && xbar.sigma > 0) {
        const { value, limits } = this.ewma.update((mean - xbar.center) / xbar.sigma);
        const rules: BreachRule[] = value > limits.ucl || value < limits.lcl ? ['1'] : [];
        points.push({ chart: 'latency_ewma', dimension: this.dimension, windowStart, value, n: stats.latencyCount, limits, rules });
      }
    }

    const window: DimensionWindow = {
      dimension: this.dimension,
      start: windowStart,
      events: stats.events,
      attempts: stats.attempts,
      failures: stats.failures,
      latencyCount: stats.latencyCount,
      latencySum: stats.latencySum,
      latencySumSq: stats.latencySumSq,
      ...(stats.latencyCount > 0 ? { latencyMean: stats.latencySum / stats.latencyCount } : {}),
      ...(p95 !== undefined ? { p95 } : {}),
      ...(p99 !== undefined ? { p99 } : {}),
      inControl: !points.some((p) => Math.abs(zOf.get(p) ?? 0) >= EXCLUDE_SIGMAS),
    };
    this.seed(window);
    return { points, window };
  }

  private judge(chart: DimensionChart, z: number): BreachRule[] {
    let rules = this.rules.get(chart);
    if (!rules) this.rules.set(chart, (rules = new WesternElectric()));
    return RULES(rules.push(z));
  }
}
