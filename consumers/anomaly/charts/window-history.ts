import { HOUR_MS, HOURS_PER_DAY, HOURS_PER_WEEK, HourlyRing, type Precision } from './hourly-ring';
import { TrailingRing } from './trailing-ring';

export type BaselineKind = 'weekly' | 'daily' | 'trailing';

export interface WindowHistoryOptions {
  /** Window length in ms (default one minute); must divide an hour, so each window lies in one hour. */
  windowMs?: number;
  /** Windows in the trailing baseline (default 60). */
  trailingWindows?: number;
}

/**
 * How a history stores a window: a row [start, v_1..v_summed, extras...]; the `summed` values
 * after the start also go into the window's hour, after a count of windows.
 */
export interface HistoryShape {
  summed: number;
  rowFields: number;
  precision: Precision;
}

/** What a window is judged against: sums [windows, v_1..v_summed] over the chosen history, and the trailing rows. */
export interface PooledHistory {
  kind: BaselineKind;
  totals: number[];
  rows: number[][];
}

// Both previous weeks are needed (one week is as likely a holiday as the norm); days need three.
const WEEKS_BACK = 2;
const MIN_DAYS = 3;
const DAYS_BACK = 2 * 7;

/**
 * One dimension's history of windows, for baselines that compare like with like: traffic has daily
 * and weekly cycles, so 14:00 on a Monday is judged against earlier Mondays at 14:00 rather than
 * against the night before. Windows are added in-control only (the caller leaves out-of-control
 * points out, standard practice: they would widen the limits meant to catch them).
 */
export class WindowHistory {
  readonly windowMs: number;
  readonly trailingWindows: number;
  private readonly hours: HourlyRing;
  private readonly trailing: TrailingRing;

  constructor(
    private readonly shape: HistoryShape,
    opts: WindowHistoryOptions = {},
  ) {
    const { windowMs = 60_000, trailingWindows = 60 } = opts;
    if (!Number.isInteger(windowMs) || windowMs <= 0 || HOUR_MS % windowMs !== 0) throw new RangeError(`windowMs must divide an hour, got ${windowMs}`);
    if (!Number.isInteger(trailingWindows) || trailingWindows < 1) throw new RangeError(`trailingWindows must be a positive integer, got ${trailingWindows}`);
    this.windowMs = windowMs;
    this.trailingWindows = trailingWindows;
    this.hours = new HourlyRing(shape.summed + 1, shape.precision);
    this.trailing = new TrailingRing(shape.rowFields, trailingWindows);
  }

  add(row: readonly number[]): void {
    if (!Number.isFinite(row[0])) throw new RangeError(`a window needs a finite start, got ${row[0]}`);
    this.hours.add(Math.floor(row[0] / HOUR_MS), [1, ...row.slice(1, 1 + this.shape.summed)]);
    this.trailing.push(row);
  }

  /** Adds the sums of `windows` windows of one hour at once (restoring from hourly totals); the trailing rows stay as they are. */
  addHour(hourStartMs: number, windows: number, summed: readonly number[]): void {
    if (summed.length !== this.shape.summed) throw new RangeError(`an hour holds ${this.shape.summed} sums, got ${summed.length}`);
    this.hours.add(Math.floor(hourStartMs / HOUR_MS), [windows, ...summed]);
  }

  /**
   * The history for the window starting at atMs (nothing at or after atMs is used):
   * - weekly: the same hour of the week in both previous weeks, if both have data;
   * - else daily: the same hour of the day on the previous 14 days, if at least 3 have data;
   * - else trailing: the windows of the last trailingWindows * windowMs.
   * The rows are the trailing windows whatever the kind: moving ranges need consecutive windows,
   * and hourly sums keep none.
   */
  pooled(atMs: number): PooledHistory {
    const { kind, totals } = this.pooledTotals(atMs);
    return { kind, totals, rows: this.trailing.startingIn(atMs - this.trailingWindows * this.windowMs, atMs) };
  }

  /** pooled() without the rows. */
  pooledTotals(atMs: number): Omit<PooledHistory, 'rows'> {
    const hour = Math.floor(atMs / HOUR_MS);
    const weeks = this.kept(hour, HOURS_PER_WEEK, WEEKS_BACK);
    if (weeks.length === WEEKS_BACK) return { kind: 'weekly', totals: this.hours.total(weeks) };
    const days = this.kept(hour, HOURS_PER_DAY, DAYS_BACK);
    if (days.length >= MIN_DAYS) return { kind: 'daily', totals: this.hours.total(days) };
    return { kind: 'trailing', totals: this.trailing.totalsStartingIn(atMs - this.trailingWindows * this.windowMs, atMs, this.shape.summed) };
  }

  /** The hours `step` apart going back from `hour`, up to `count` of them, that have data. */
  private kept(hour: number, step: number, count: number): number[] {
    // A loop, not Array.from().filter(): called per seller per window, allocation shows in profiles.
    const hours: number[] = [];
    for (let i = 1; i <= count; i++) if (this.hours.holds(hour - i * step)) hours.push(hour - i * step);
    return hours;
  }
}
