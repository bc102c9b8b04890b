/**
 * The event keys one partition curated recently, for dropping repeats. Time is the worker's
 * processing clock, not event time (see README: a seller-supplied `ts` can run a day ahead or be a
 * replay of last month; retries arrive seconds apart whatever their `ts`).
 *
 * A Map keeps insertion order, and insertion times never decrease (a clock stepping back is
 * clamped), so the oldest key is always first: eviction by time is O(1) per key. `maxKeys` bounds
 * memory (~70 bytes a key) when the rate outgrows the window; past it the oldest keys go first,
 * which only shortens the window.
 */
export class DedupWindow {
  private readonly seenAt = new Map<bigint, number>();
  private latestMs = -Infinity;
  /** Keys dropped before their time because the window was full. */
  evictedForCapacity = 0;

  constructor(
    readonly windowMs: number,
    readonly maxKeys: number,
  ) {
    if (!(windowMs >= 0) || !Number.isInteger(maxKeys) || maxKeys < 1) throw new Error(`dedup window needs windowMs >= 0 and maxKeys >= 1, got ${windowMs} and ${maxKeys}`);
  }

  get size(): number {
    return this.seenAt.size;
  }

  /** Whether `key` was added less than `windowMs` before `nowMs`. */
  has(key: bigint, nowMs: number): boolean {
    const at = this.seenAt.get(key);
    return at !== undefined && this.clamp(nowMs) - at < this.windowMs;
  }

  /** Remembers `key` as seen at `nowMs`; a key already present keeps its first time. */
  add(key: bigint, nowMs: number): void {
    const at = this.clamp(nowMs);
    this.latestMs = at;
    if (!this.seenAt.has(key)) this.seenAt.set(key, at);
    this.evict(at);
  }

  /** Forgets keys that left the window by `nowMs`, and the oldest ones beyond `maxKeys`. */
  evict(nowMs: number): void {
    const horizon = this.clamp(nowMs) - this.windowMs;
    for (const [key, at] of this.seenAt) {
      if (at > horizon && this.seenAt.size <= this.maxKeys) break;
      if (at > horizon) this.evictedForCapacity += 1;
      this.seenAt.delete(key);
    }
  }

  private clamp(nowMs: number): number {
    return Math.max(nowMs, this.latestMs);
  }
}
