import type { Proportion } from './p-chart';
import { WindowHistory, type BaselineKind, type HistoryShape, type WindowHistoryOptions } from './window-history';

export interface SellerExpectation {
  kind: BaselineKind;
  /** Windows the expectation pools. */
  windows: number;
  /** Mean events a window: the Poisson mean of the next window's count. */
  eventsPerWindow: number;
  /** Pooled failures/events, 0 without events; shrink it (shrunkRate) before testing a small seller. */
  failureRate: number;
}

// Row: [start, events, failures], both counts summed per hour; single precision (~6.8 KB a seller).
const SHAPE: HistoryShape = { summed: 2, rowFields: 3, precision: 'single' };

/**
 * A seller's events and failures only, with the same weekly/daily/trailing choice as
 * SeasonalBaseline, light enough for one per seller across thousands. Add every window of a
 * tracked seller, empty ones too (0 events), or eventsPerWindow counts only busy windows; leave
 * suspect windows out, as with any baseline.
 */
export class SellerBaseline {
  private readonly history: WindowHistory;

  constructor(opts: WindowHistoryOptions = {}) {
    this.history = new WindowHistory(SHAPE, opts);
  }

  add(startMs: number, counts: Proportion): void {
    this.history.add([startMs, counts.events, counts.failures]);
  }

  /** An hour's totals over `windows` windows at once, for a baseline rebuilt from hourly rollups. */
  addHour(hourStartMs: number, windows: number, counts: Proportion): void {
    this.history.addHour(hourStartMs, windows, [counts.events, counts.failures]);
  }

  /** What the window starting at atMs should look like, from windows before it. */
  expected(atMs: number): SellerExpectation {
    const {
      kind,
      totals: [windows, events, failures],
    } = this.history.pooledTotals(atMs);
    return { kind, windows, eventsPerWindow: windows > 0 ? events / windows : 0, failureRate: events > 0 ? failures / events : 0 };
  }
}
