import { binomialUpperTail, poissonLowerTail, poissonUpperTail, SellerBaseline, shrunkRate, type SellerExpectation } from './charts';
import type { SellerCandidate, SellerTests } from './partials';
import type { PartitionWindow, SellerCount } from './partition-windows';

/**
 * Per-seller tests of one raw partition, run by the partition's owner (a seller's events all land
 * in one partition: the key is the seller id). Each closed window tests every seller with enough
 * history against that seller's own (seasonal) baseline, with exact tails so a seller with three
 * events a day is judged as fairly as one with thousands:
 * - volume: Poisson tails of the window's ended attempts against the expected count (two-sided;
 *   attempts, not events: an attempt's UPDATEs come in clusters, which Poisson would not forgive);
 * - failure rate: binomial upper tail of the failures against the seller's rate shrunk toward the
 *   partition's rate (a seller with little history borrows strength from everyone else);
 * - silence: no attempts for k windows when k windows' worth was expected, P = e^-mu.
 * Only candidates with p <= the FDR level travel to the leader, which corrects for the thousands
 * of tests across all partitions at once (Benjamini-Hochberg needs only those and the count).
 */

export interface SellerMonitorOptions {
  windowMs: number;
  /** Baseline windows a seller needs before it is tested. */
  minBaselineWindows: number;
  /** Prior strength (in attempts) of the shrinkage toward the partition's failure rate. */
  shrinkageEvents: number;
  /** Candidates above this p-value cannot survive the correction and are not sent. */
  sellerFdr: number;
  /** A seller silent for this long is forgotten. */
  forgetAfterMs: number;
}

/** A seller's stored history before a resume point: hourly totals, then each recent window. */
export interface SellerHistory {
  hours: (SellerCount & { start: number; windows: number })[];
  windows: (SellerCount & { start: number })[];
  /** Start of the last window with attempts. */
  lastSeen: number;
}

/** Windows in a seller's trailing baseline and in the partition's shrinkage target. */
export const SELLER_TRAILING_WINDOWS = 60;

interface SellerState {
  baseline: SellerBaseline;
  silentWindows: number;
  silentExpected: number;
  lastSeen: number;
}

export class SellerMonitor {
  private readonly sellers = new Map<string, SellerState>();
  // Trailing pooled failure rate of the whole partition: the shrinkage target.
  private readonly recent: SellerCount[] = [];

  constructor(private readonly options: SellerMonitorOptions) {}

  get size(): number {
    return this.sellers.size;
  }

  /**
   * Rebuilds a seller's state as if it had been tracked through `history` (a new owner of the
   * partition, see seller-history.ts): whole hours first, then every recent window in order, empty
   * ones included, with silence counted as judge() counts it.
   */
  restore(seller: string, history: SellerHistory): void {
    const state = this.newState(history.lastSeen);
    for (const h of history.hours) state.baseline.addHour(h.start, h.windows, { events: h.attempts, failures: h.failures });
    for (const w of history.windows) {
      if (w.attempts === 0) {
        state.silentWindows += 1;
        state.silentExpected += state.baseline.expected(w.start).eventsPerWindow;
      } else {
        state.silentWindows = 0;
        state.silentExpected = 0;
      }
      state.baseline.add(w.start, { events: w.attempts, failures: w.failures });
    }
    this.sellers.set(seller, state);
  }

  /** The partition's pooled attempts and failures of its last windows, oldest first: the shrinkage target. */
  restorePrior(windows: readonly SellerCount[]): void {
    this.recent.splice(0, this.recent.length, ...windows.slice(-SELLER_TRAILING_WINDOWS));
  }

  /** One seller's state as the window at atMs would see it (diagnostics). */
  inspect(seller: string, atMs: number): { expected: SellerExpectation; silentWindows: number; silentExpected: number; lastSeen: number } | undefined {
    const state = this.sellers.get(seller);
    return state && { expected: state.baseline.expected(atMs), silentWindows: state.silentWindows, silentExpected: state.silentExpected, lastSeen: state.lastSeen };
  }

  judge(w: PartitionWindow): SellerTests {
    const prior = this.priorRate();
    const candidates: SellerCandidate[] = [];
    let tested = 0;
    const consider = (c: SellerCandidate) => {
      tested += 1;
      if (c.p <= this.options.sellerFdr) candidates.push(c);
    };

    for (const [seller, state] of this.sellers) {
      const expected = state.baseline.expected(w.start);
      const ready = expected.windows >= this.options.minBaselineWindows && expected.eventsPerWindow > 0;
      const count = w.sellers.get(seller);
      if (!count) {
        state.silentWindows += 1;
        state.silentExpected += expected.eventsPerWindow;
        if (ready) consider({ seller, chart: 'seller_silent', p: poissonLowerTail(0, state.silentExpected), value: state.silentWindows * (this.options.windowMs / 60_000), expected: state.silentExpected });
        continue;
      }
      state.silentWindows = 0;
      state.silentExpected = 0;
      if (!ready) continue;
      const mu = expected.eventsPerWindow;
      const pVolume = Math.min(1, 2 * Math.min(poissonUpperTail(count.attempts, mu), poissonLowerTail(count.attempts, mu)));
      consider({ seller, chart: 'seller_volume', p: pVolume, value: count.attempts, expected: mu });
      const history = expected.eventsPerWindow * expected.windows;
      const rate = shrunkRate({ events: history, failures: expected.failureRate * history }, prior, this.options.shrinkageEvents);
      consider({ seller, chart: 'seller_failure_rate', p: binomialUpperTail(count.failures, count.attempts, rate), value: count.failures / count.attempts, expected: rate });
    }

    // A suspect window stays out of the seller's baseline, like out-of-control points on any chart.
    this.learn(w, new Set(candidates.map((c) => c.seller)));
    return { tested, candidates: candidates.sort((a, b) => a.p - b.p) };
  }

  private learn(w: PartitionWindow, suspects: Set<string>): void {
    let attempts = 0;
    let failures = 0;
    for (const [seller, count] of w.sellers) {
      attempts += count.attempts;
      failures += count.failures;
      let state = this.sellers.get(seller);
      if (!state) {
        state = this.newState(w.start);
        this.sellers.set(seller, state);
      }
      state.lastSeen = w.start;
    }
    for (const [seller, state] of this.sellers) {
      if (w.start - state.lastSeen > this.options.forgetAfterMs) {
        this.sellers.delete(seller);
        continue;
      }
      if (suspects.has(seller)) continue;
      const count = w.sellers.get(seller);
      state.baseline.add(w.start, { events: count?.attempts ?? 0, failures: count?.failures ?? 0 });
    }
    this.recent.push({ attempts, failures });
    if (this.recent.length > SELLER_TRAILING_WINDOWS) this.recent.shift();
  }

  private newState(lastSeen: number): SellerState {
    return { baseline: new SellerBaseline({ windowMs: this.options.windowMs, trailingWindows: SELLER_TRAILING_WINDOWS }), silentWindows: 0, silentExpected: 0, lastSeen };
  }

  private priorRate(): number {
    let attempts = 0;
    let failures = 0;
    for (const r of this.recent) {
      attempts += r.attempts;
      failures += r.failures;
    }
    return attempts > 0 ? failures / attempts : 0;
  }
}
