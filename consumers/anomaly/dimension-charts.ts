import { Ewma, individualsLimits, laneyFactor, meanAndSigma, pChartLimits, SeasonalBaseline, WesternElectric, xbarLimits, type Limits, type WeRule } from './charts';
import type { BreachRule, ChartPoint, DimensionChart } from './breaches';
import { latencyQuantile, type WindowStats } from './window-stats';

/**
 * The control charts of one dimension (global, an origin, a country), fed one closed window at a
 * time in event-time order:
 * - failure_rate: p-chart of failed over ended attempts around the baseline's pooled rate, widened
 *   by Laney's factor when the baseline windows vary more than binomially (real traffic does);
 * - latency_mean: X-bar of the window's mean latency, sigma from the baseline;
 * - latency_p95 / latency_p99: individuals charts of the window quantiles;
 * - latency_ewma: EWMA of the X-bar chart's standardized value (target 0, sigma 1), so one chart
 *   follows a seasonal centre line; only its own limits apply (runs rules assume independent
 *   points and the EWMA statistic is autocorrelated by construction).
 * Western Electric rules 1-4 run on every other chart. Windows with a rule-1 breach stay out of
 * the baseline so an incident does not widen the limits that should catch it.
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
    const point = (chart: DimensionChart, value: number, n: number, limits: Limits | undefined) => {
      const rules = limits && limits.sigma > 0 ? this.judge(chart, (value - limits.center) / limits.sigma) : [];
      const p: ChartPoint = { chart, dimension: this.dimension, windowStart, value, n, rules, ...(limits ? { limits } : {}) };
      points.push(p);
      return p;
    };

    if (stats.attempts > 0) {
      const pbar = base.proportion.events > 0 ? base.proportion.failures / base.proportion.events : 0;
      const limits = ready ? pChartLimits(base.proportion, stats.attempts, { overdispersion: laneyFactor(base.windows, pbar) }) : undefined;
      point('failure_rate', stats.failures / stats.attempts, stats.attempts, limits);
    }

    const p95 = latencyQuantile(stats, 0.95);
    const p99 = latencyQuantile(stats, 0.99);
    if (stats.latencyCount > 0) {
      const mean = stats.latencySum / stats.latencyCount;
      const within = meanAndSigma(base.moments);
      const means = base.windows.flatMap((w) => (w.latencyMean === undefined ? [] : [w.latencyMean]));
      const between = means.length >= 2 ? individualsLimits(means).sigma : undefined;
      const xbar = ready && base.moments.count > 1 ? xbarLimits({ mean: within.mean, sigmaWithin: within.sigma, sigmaBetween: between }, stats.latencyCount) : undefined;
      point('latency_mean', mean, stats.latencyCount, xbar);
      const quantileLimits = (pick: (w: (typeof base.windows)[number]) => number | undefined) => {
        const values = base.windows.flatMap((w) => {
          const v = pick(w);
          return v === undefined ? [] : [v];
        });
        return ready && values.length >= 2 ? individualsLimits(values) : undefined;
      };
      if (p95 !== undefined) point('latency_p95', p95, stats.latencyCount, quantileLimits((w) => w.p95));
      if (p99 !== undefined) point('latency_p99', p99, stats.latencyCount, quantileLimits((w) => w.p99));
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
      inControl: !points.some((p) => p.rules.includes('1')),
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
