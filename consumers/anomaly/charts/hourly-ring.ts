export const HOUR_MS = 3_600_000;
export const HOURS_PER_DAY = 24;
export const HOURS_PER_WEEK = 7 * HOURS_PER_DAY;
/**
 * Two weeks back from the hour being filled, plus that hour. With exactly 14 days (336 hours) the
 * first window of an hour would evict the hour two weeks before it, which the weekly baseline
 * compares that hour with.
 */
export const HOURS_KEPT = 2 * HOURS_PER_WEEK + 1;

/** 'single' halves the memory (for per-seller baselines); sums stay exact up to 2^24 per hour. */
export type Precision = 'double' | 'single';

const EMPTY = -0x80000000;
const slotOf = (hour: number): number => ((hour % HOURS_KEPT) + HOURS_KEPT) % HOURS_KEPT;

/**
 * Sums of a few per-window fields, bucketed by event-time hour (hours since the epoch, UTC), for
 * the last HOURS_KEPT hours: a ring whose slot for an hour is reused by the hour HOURS_KEPT later.
 */
export class HourlyRing {
  private readonly hourAt = new Int32Array(HOURS_KEPT).fill(EMPTY);
  private readonly sums: Float64Array | Float32Array;

  constructor(
    readonly fields: number,
    readonly precision: Precision,
  ) {
    this.sums = precision === 'double' ? new Float64Array(HOURS_KEPT * fields) : new Float32Array(HOURS_KEPT * fields);
  }

  /** Whether some window of `hour` was added and is still kept. */
  holds(hour: number): boolean {
    return this.hourAt[slotOf(hour)] === hour;
  }

  /** Adds one window's values to its hour; false (nothing kept) when a later hour already took the slot. */
  add(hour: number, values: readonly number[]): boolean {
    if (values.length !== this.fields) throw new RangeError(`hourly ring holds ${this.fields} fields, got ${values.length}`);
    const slot = slotOf(hour);
    if (this.hourAt[slot] > hour) return false;
    const base = slot * this.fields;
    if (this.hourAt[slot] !== hour) {
      this.hourAt[slot] = hour;
      this.sums.fill(0, base, base + this.fields);
    }
    for (let j = 0; j < this.fields; j++) this.sums[base + j] += values[j];
    return true;
  }

  /** Field sums over those of `hours` that are kept. */
  total(hours: readonly number[]): number[] {
    const totals = new Array<number>(this.fields).fill(0);
    for (const hour of hours) {
      if (!this.holds(hour)) continue;
      const base = slotOf(hour) * this.fields;
      for (let j = 0; j < this.fields; j++) totals[j] += this.sums[base + j];
    }
    return totals;
  }
}
