import { benjaminiHochberg } from './charts';
import { breachId, type Breach, type ChartPoint, type Severity } from './breaches';
import { DimensionCharts, type DimensionChartOptions, type DimensionWindow } from './dimension-charts';
import type { SellerPoint } from './metrics';
import type { PartialMessage, SellerCandidate, WindowPartial } from './partials';
import { emptyStats, mergeStats, type WindowStats } from './window-stats';

/**
 * The leader's view: merges the partials of every raw partition into whole windows, closes a window
 * once every partition has reported past it (or is idle), and charts it. Pure and deterministic: the
 * same partials in the same order give the same points and breaches, live or replayed.
 *
 * Paging severity: a Shewhart point beyond 3 sigma happens once in 370 in-control windows, which
 * over dozens of charts is many a day. A rule-1 breach pages when it is sustained (also in the
 * previous window: 1 in 137,000 in control) or extreme (beyond 5 sigma: 1 in 1.7 million);
 * otherwise, and for rules 2-4, it is a ticket. The EWMA and the quantile charts raise tickets
 * only (see PAGING_CHARTS). Sellers page when flagged two windows in a row.
 */

export interface GlobalMonitorOptions extends DimensionChartOptions {
  /** Raw topic partitions: a window closes when all of them have reported it. */
  partitions: number;
  /**
   * Windows kept waiting at most; beyond, the oldest closes with the partitions it has. Without a
   * bound, a catch-up where partitions are months apart in event time (history written to a few
   * partitions first) held every window in memory (106,000 after four minutes, growing) and never
   * committed: a restarted leader began again from the start. Undefined: no bound (tests).
   */
  maxPendingWindows?: number;
  /** False discovery rate of the per-window seller tests (Benjamini-Hochberg). */
  sellerFdr: number;
  /** Sellers with their own series on /metrics. */
  topSellers: number;
  /** Every window starting before this (epoch ms) is already closed (a successor's resume point). */
  closedUntil?: number;
}

export interface ClosedWindow {
  start: number;
  points: ChartPoint[];
  breaches: Breach[];
  /** Sellers tested in the window, over all partitions. */
  sellersTested: number;
  top: SellerPoint[];
  /** Each dimension's window, as charts and baselines saw it. */
  dimensions: DimensionWindow[];
}

const EXTREME_SIGMAS = 5;
// Charts whose rule-1 breaches page. Not the EWMA (its breaches come in runs by construction) nor
// the quantiles: a sketch's p95 moves in 2 % steps and jumps with the traffic mix; on simulated
// clean traffic they made 19 of 20 false pages a day, even beyond 5 sigma. They raise tickets;
// latency incidents page through the mean.
const PAGING_CHARTS = new Set<string>(['failure_rate', 'latency_mean']);

export class GlobalMonitor {
  private readonly pending = new Map<number, Map<number, WindowPartial>>();
  private readonly reportedUntil = new Map<number, number>();
  /** Idle partitions, with when their owner last found them caught up (owner's clock, ms). */
  private readonly idle = new Map<number, number>();
  /** When the first partial of each pending window arrived (the caller's clock, ms). */
  private readonly firstArrival = new Map<number, number>();
  private readonly charts = new Map<string, DimensionCharts>();
  private previousRule1 = new Set<string>();
  private previousSellers = new Set<string>();
  closedUntil: number;
  /** Partials for windows already closed (a re-sent partial, or a partition far behind). */
  latePartials = 0;
  /** Windows closed without every partition, because too many were pending. */
  forcedCloses = 0;

  constructor(private readonly options: GlobalMonitorOptions) {
    this.closedUntil = options.closedUntil ?? Number.NEGATIVE_INFINITY;
  }

  /** Rebuilds baselines from windows a predecessor closed, oldest first. */
  seed(windows: DimensionWindow[]): void {
    for (const w of windows) this.chartsOf(w.dimension).seed(w);
  }

  /** Windows waiting for partitions to report, oldest first. */
  pendingStarts(): number[] {
    return [...this.pending.keys()].sort((a, b) => a - b);
  }

  private chartsOf(dimension: string): DimensionCharts {
    let charts = this.charts.get(dimension);
    if (!charts) this.charts.set(dimension, (charts = new DimensionCharts(dimension, this.options)));
    return charts;
  }

  /**
   * Takes one message from the partials topic; returns the windows it allowed to close, oldest
   * first. `arrivedAt` (when the owner sent it: the Kafka timestamp, so a re-read judges alike) only
   * matters for idle partitions: one is left out of a window only if its owner found it caught up
   * after the window's first partial was sent, so a burst written after a quiet spell is not closed
   * before every partition has read its share.
   */
  accept(m: PartialMessage, arrivedAt: number): ClosedWindow[] {
    if (m.kind === 'idle') {
      this.idle.set(m.partition, m.checkedAt);
      return this.closeReady();
    }
    this.idle.delete(m.partition);
    const end = m.start + this.options.windowMs;
    this.reportedUntil.set(m.partition, Math.max(end, this.reportedUntil.get(m.partition) ?? Number.NEGATIVE_INFINITY));
    if (m.start < this.closedUntil) {
      this.latePartials += 1;
      return [];
    }
    let byPartition = this.pending.get(m.start);
    if (!byPartition) {
      this.pending.set(m.start, (byPartition = new Map()));
      this.firstArrival.set(m.start, arrivedAt);
    }
    byPartition.set(m.partition, m);
    return this.closeReady();
  }

  /** The oldest pending window, how long it has waited (the caller's clock) and the partitions it waits for. */
  oldestWaiting(now: number): { start: number; waitedMs: number; partitions: number[] } | undefined {
    const [start] = this.pendingStarts();
    if (start === undefined) return undefined;
    return { start, waitedMs: now - (this.firstArrival.get(start) ?? now), partitions: this.holdingBack(start) };
  }

  /** Partitions that have neither reported past the window nor been idle since its first partial came. */
  private holdingBack(start: number): number[] {
    const end = start + this.options.windowMs;
    const arrived = this.firstArrival.get(start) ?? Number.POSITIVE_INFINITY;
    const holding: number[] = [];
    for (let p = 0; p < this.options.partitions; p++) {
      if ((this.reportedUntil.get(p) ?? Number.NEGATIVE_INFINITY) >= end) continue;
      const idleSince = this.idle.get(p);
      if (idleSince === undefined || idleSince < arrived) holding.push(p);
    }
    return holding;
  }

  /** Closes pending windows in order, up to the first one still waiting for a partition. */
  private closeReady(): ClosedWindow[] {
    const closed: ClosedWindow[] = [];
    const starts = this.pendingStarts();
    const over = Math.max(0, starts.length - (this.options.maxPendingWindows ?? Number.POSITIVE_INFINITY));
    for (const [i, start] of starts.entries()) {
      if (i >= over && this.holdingBack(start).length > 0) break;
      if (i < over) this.forcedCloses += 1;
      const partials = this.pending.get(start) ?? new Map<number, WindowPartial>();
      this.pending.delete(start);
      this.firstArrival.delete(start);
      this.closedUntil = start + this.options.windowMs;
      closed.push(this.evaluate(start, [...partials.values()]));
    }
    return closed;
  }

  private evaluate(start: number, partials: WindowPartial[]): ClosedWindow {
    const merged = new Map<string, WindowStats>();
    for (const partial of partials.sort((a, b) => a.partition - b.partition)) {
      for (const [dim, stats] of partial.dims) {
        let into = merged.get(dim);
        if (!into) merged.set(dim, (into = emptyStats()));
        mergeStats(into, stats);
      }
    }
    const end = start + this.options.windowMs;
    const points: ChartPoint[] = [];
    const dimensions: DimensionWindow[] = [];
    for (const dim of [...merged.keys()].sort()) {
      const judged = this.chartsOf(dim).evaluate(start, merged.get(dim) as WindowStats);
      points.push(...judged.points);
      dimensions.push(judged.window);
    }

    const rule1 = new Set<string>();
    const breaches: Breach[] = [];
    for (const p of points) {
      if (!p.limits) continue;
      for (const rule of p.rules) {
        let severity: Severity = 'ticket';
        if (rule === '1') {
          const key = `${p.chart}|${p.dimension}`;
          rule1.add(key);
          const sigmas = p.limits.sigma > 0 ? Math.abs(p.value - p.limits.center) / p.limits.sigma : 0;
          if (PAGING_CHARTS.has(p.chart) && (this.previousRule1.has(key) || sigmas >= EXTREME_SIGMAS)) severity = 'page';
        }
        breaches.push({ chart: p.chart, dimension: p.dimension, windowStart: start, windowEnd: end, value: p.value, center: p.limits.center, ucl: p.limits.ucl, lcl: p.limits.lcl, rule, severity });
      }
    }
    this.previousRule1 = rule1;

    const tested = partials.reduce((sum, p) => sum + p.sellers.tested, 0);
    const candidates = partials.flatMap((p) => p.sellers.candidates).sort((a, b) => a.p - b.p || sellerKey(a).localeCompare(sellerKey(b)));
    const discoveries = tested > 0 ? benjaminiHochberg(candidates, tested, this.options.sellerFdr) : [];
    const flagged = new Set<string>();
    for (const c of discoveries) {
      const key = sellerKey(c);
      flagged.add(key);
      breaches.push({ chart: c.chart, dimension: `seller=${c.seller}`, windowStart: start, windowEnd: end, value: c.value, center: c.expected, ucl: c.expected, lcl: c.expected, pValue: c.p, rule: 'tail', severity: this.previousSellers.has(key) ? 'page' : 'ticket' });
    }
    this.previousSellers = flagged;
    breaches.sort((a, b) => breachId(a).localeCompare(breachId(b)));
    // Sellers live in one partition each: the partitions' top lists merge without overlap.
    const top = partials
      .flatMap((p) => p.top)
      .sort((a, b) => b.attempts - a.attempts || a.seller.localeCompare(b.seller))
      .slice(0, this.options.topSellers);
    return { start, points, breaches, sellersTested: tested, top, dimensions };
  }
}

const sellerKey = (c: SellerCandidate): string => `${c.chart}|${c.seller}`;
