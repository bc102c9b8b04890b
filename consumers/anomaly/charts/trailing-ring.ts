/** The last `capacity` windows added, each a row of `fields` numbers whose first is the window start (ms). */
export class TrailingRing {
  private readonly rows: Float64Array;
  private next = 0;
  private size = 0;

  constructor(
    readonly fields: number,
    readonly capacity: number,
  ) {
    this.rows = new Float64Array(fields * capacity);
  }

  push(row: readonly number[]): void {
    if (row.length !== this.fields) throw new RangeError(`trailing ring rows have ${this.fields} fields, got ${row.length}`);
    this.rows.set(row, this.next * this.fields);
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /** All rows, in the order they were added. */
  all(): number[][] {
    const rows: number[][] = [];
    for (let i = 0; i < this.size; i++) {
      const at = ((this.next - this.size + i + this.capacity) % this.capacity) * this.fields;
      rows.push(Array.from(this.rows.subarray(at, at + this.fields)));
    }
    return rows;
  }

  /**
   * [rows, sum of field 1, ..., sum of field `summed`] over rows whose window started in
   * [fromMs, toMs), without building the rows: per-seller baselines ask this thousands of times a window.
   */
  totalsStartingIn(fromMs: number, toMs: number, summed: number): number[] {
    const totals = new Array<number>(summed + 1).fill(0);
    for (let i = 0; i < this.size; i++) {
      const at = ((this.next - this.size + i + this.capacity) % this.capacity) * this.fields;
      const start = this.rows[at];
      if (start < fromMs || start >= toMs) continue;
      totals[0] += 1;
      for (let j = 1; j <= summed; j++) totals[j] += this.rows[at + j];
    }
    return totals;
  }

  /** Rows whose window started in [fromMs, toMs), in the order they were added. */
  startingIn(fromMs: number, toMs: number): number[][] {
    return this.all().filter((row) => row[0] >= fromMs && row[0] < toMs);
  }
}
