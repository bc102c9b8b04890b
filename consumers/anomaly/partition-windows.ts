import type { ObservedEvent } from './observed-event';
import { addToStats, emptyStats, type WindowStats } from './window-stats';

/**
 * Tumbling event-time windows of one raw partition. The partition's watermark is the newest event
 * time seen minus the allowed lateness; a window closes once the watermark passes its end, and an
 * event for a closed window is late: counted, not charted (ClickHouse still stores it).
 *
 * Quiet stretches close as empty windows, so the leader learns the partition moved on and sellers'
 * silence is judged minute by minute. The position (what is closed, newest time seen) travels in the
 * consumer-group commit's metadata, so whoever owns the partition next resumes the same windows.
 */

export const GLOBAL = 'global';
/** Bounds the origin dimensions a window carries; the rest are charted together. */
export const MAX_ORIGINS = 32;
const OTHER_ORIGIN = 'origin=other';
// A replay that jumps months ahead closes at most a day of empty windows, then skips.
const MAX_EMPTY_WINDOWS = 1440;

/** A seller's ended attempts in a window and how many failed. */
export interface SellerCount {
  attempts: number;
  failures: number;
}

export interface PartitionWindow {
  partition: number;
  /** Window start, epoch ms. */
  start: number;
  /** By dimension: "global", "origin=<origin>", "country=<CC>". */
  dims: Map<string, WindowStats>;
  sellers: Map<string, SellerCount>;
}

export interface WindowPosition {
  /** Every window ending at or before this (epoch ms) is closed. */
  closedUntil: number;
  /** Newest event time seen (epoch ms). */
  maxTs: number;
}

interface OpenWindow {
  window: PartitionWindow;
  firstOffset: bigint;
  origins: number;
}

export class PartitionWindows {
  private readonly open = new Map<number, OpenWindow>();
  private closedUntil: number | undefined;
  private maxTs = Number.NEGATIVE_INFINITY;
  /** Events that arrived after their window closed. */
  late = 0;

  constructor(
    readonly partition: number,
    readonly windowMs: number,
    readonly latenessMs: number,
    position?: WindowPosition,
  ) {
    if (position) {
      this.closedUntil = position.closedUntil;
      this.maxTs = position.maxTs;
    }
  }

  windowStart(tsMs: number): number {
    return tsMs - (((tsMs % this.windowMs) + this.windowMs) % this.windowMs);
  }

  /** Adds one event read at `offset`; false if its window is already closed. */
  add(e: ObservedEvent, offset: bigint): boolean {
    const start = this.windowStart(e.tsMs);
    this.closedUntil ??= start;
    if (start < this.closedUntil) {
      this.late += 1;
      return false;
    }
    if (e.tsMs > this.maxTs) this.maxTs = e.tsMs;
    let open = this.open.get(start);
    if (!open) {
      open = { window: { partition: this.partition, start, dims: new Map(), sellers: new Map() }, firstOffset: offset, origins: 0 };
      this.open.set(start, open);
    }
    const { dims, sellers } = open.window;
    let origin = `origin=${e.origin}`;
    if (!dims.has(origin)) {
      if (open.origins >= MAX_ORIGINS) origin = OTHER_ORIGIN;
      else open.origins += 1;
    }
    for (const dim of [GLOBAL, origin, `country=${e.country}`]) {
      let stats = dims.get(dim);
      if (!stats) dims.set(dim, (stats = emptyStats()));
      addToStats(stats, e.final, e.failed, e.latencyMs);
    }
    if (!e.final) return true;
    const seller = sellers.get(e.seller);
    if (seller) {
      seller.attempts += 1;
      if (e.failed) seller.failures += 1;
    } else sellers.set(e.seller, { attempts: 1, failures: e.failed ? 1 : 0 });
    return true;
  }

  get watermark(): number {
    return this.maxTs - this.latenessMs;
  }

  /**
   * Moves the watermark to `tsMs` as if an event that late had arrived: the end of a replayed range,
   * where no later event will close the last windows.
   */
  advanceWatermark(tsMs: number): void {
    this.closedUntil ??= this.windowStart(tsMs);
    this.maxTs = Math.max(this.maxTs, tsMs + this.latenessMs);
  }

  /** Closes every window the watermark passed, oldest first, quiet ones as empty windows. */
  close(): PartitionWindow[] {
    if (this.closedUntil === undefined) return [];
    const closed: PartitionWindow[] = [];
    const limit = this.windowStart(this.watermark);
    if (limit - this.closedUntil > MAX_EMPTY_WINDOWS * this.windowMs) {
      const firstOpen = Math.min(...this.open.keys(), limit);
      this.closedUntil = Math.max(this.closedUntil, firstOpen - MAX_EMPTY_WINDOWS * this.windowMs);
    }
    for (let start = this.closedUntil; start < limit; start += this.windowMs) {
      const open = this.open.get(start);
      this.open.delete(start);
      closed.push(open?.window ?? { partition: this.partition, start, dims: new Map(), sellers: new Map() });
    }
    this.closedUntil = Math.max(this.closedUntil, limit);
    return closed;
  }

  /**
   * Where a successor must start reading so that every still-open window is rebuilt whole: the
   * first offset of the oldest open window, else the next offset to read.
   */
  commitPoint(nextOffset: bigint): { offset: bigint; position: WindowPosition | undefined } {
    let offset = nextOffset;
    for (const open of this.open.values()) if (open.firstOffset < offset) offset = open.firstOffset;
    const position = this.closedUntil === undefined ? undefined : { closedUntil: this.closedUntil, maxTs: this.maxTs };
    return { offset, position };
  }
}
