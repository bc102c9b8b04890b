import type { Proportion } from './p-chart';
import { WindowHistory, type BaselineKind, type HistoryShape, type WindowHistoryOptions } from './window-history';
import type { Moments } from './xbar-chart';

/** One closed window of a dimension, as added to its baseline. */
export interface BaselineWindow {
  /** Window start, epoch ms (event time). */
  start: number;
  events: number;
  failures: number;
  latencyCount: number;
  latencySum: number;
  latencySumSq: number;
  /** Absent when the window had no latencies. */
  p95?: number;
  p99?: number;
}

export interface WindowSummary extends BaselineWindow {
  /** Present when latencyCount > 0. */
  latencyMean?: number;
}

export interface Baseline {
  /** Which history the pooled figures come from. */
  kind: BaselineKind;
  proportion: Proportion;
  moments: Moments;
  /** The trailing windows, oldest first (whatever the kind), for moving-range estimates (Laney, X-bar between-windows sigma, I-MR). */
  windows: WindowSummary[];
}

// Row: [start, events, failures, latencyCount, latencySum, latencySumSq, p95, p99]; the five after start are summed per hour.
const SHAPE: HistoryShape = { summed: 5, rowFields: 8, precision: 'double' };

function summary([start, events, failures, latencyCount, latencySum, latencySumSq, p95, p99]: number[]): WindowSummary {
  return {
    start,
    events,
    failures,
    latencyCount,
    latencySum,
    latencySumSq,
    ...(latencyCount > 0 ? { latencyMean: latencySum / latencyCount } : {}),
    ...(Number.isNaN(p95) ? {} : { p95 }),
    ...(Number.isNaN(p99) ? {} : { p99 }),
  };
}

/**
 * Per-dimension history of windows for baselines that compare like with like: hourly sums of
 * windows, events, failures and latency moments over two weeks (plus the current hour), and the
 * last `trailingWindows` windows themselves. See WindowHistory for how baseline(atMs) chooses
 * between the same hour of previous weeks, of previous days, and the trailing windows.
 */
export class SeasonalBaseline {
  private readonly history: WindowHistory;

  constructor(opts: WindowHistoryOptions = {}) {
    this.history = new WindowHistory(SHAPE, opts);
  }

  /**
   * Out-of-control windows (inControl false) are kept out of the baseline:
   * standard practice, or an incident widens the limits meant to catch it. A window older than two
   * weeks still counts in the trailing windows it falls in, not in any hour.
   */
  add(w: BaselineWindow, opts: { inControl: boolean }): void {
    if (!opts.inControl) return;
    this.history.add([w.start, w.events, w.failures, w.latencyCount, w.latencySum, w.latencySumSq, w.p95 ?? NaN, w.p99 ?? NaN]);
  }

  /** The baseline for the window starting at atMs, from windows before it. All zeros (and no windows) when there is no history yet. */
  baseline(atMs: number): Baseline {
    const { kind, totals, rows } = this.history.pooled(atMs);
    const [, events, failures, count, sum, sumSq] = totals;
    return { kind, proportion: { events, failures }, moments: { count, sum, sumSq }, windows: rows.map(summary) };
  }
}
