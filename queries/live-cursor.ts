/**
 * What one live stream has already sent. Rows carry the time they were (re)written, in whole
 * seconds; each read asks for rows written since the newest one seen minus an overlap, because more
 * rows can land in that same second, and on a replicated cluster a replica may apply a write a
 * little later than its twin. Rows sent before in the same version are dropped, so the overlap
 * costs a re-read, never a repeated message.
 */
export class LiveCursor {
  /** Newest version seen, epoch seconds; 0 until anything was seen. */
  private newest = 0;
  private readonly sent = new Map<string, number>();

  constructor(private readonly overlapS: number) {}

  /** Lower bound of the next read; undefined before any row was seen: read all of the range. */
  get since(): number | undefined {
    return this.newest === 0 ? undefined : this.newest - this.overlapS;
  }

  /** The rows not sent before in their current version; they count as sent from now on. */
  fresh<T>(rows: readonly T[], key: (row: T) => string, version: (row: T) => number): T[] {
    return rows.filter((row) => {
      const k = key(row);
      const v = version(row);
      this.newest = Math.max(this.newest, v);
      if (this.sent.get(k) === v) return false;
      this.sent.set(k, v);
      return true;
    });
  }

  /** Forgets rows older than the next read's lower bound: only a newer version of them can come back. */
  prune(): void {
    const since = this.since;
    if (since === undefined) return;
    for (const [k, v] of this.sent) if (v < since) this.sent.delete(k);
  }

  /** Rows remembered, for tests and metrics. */
  get size(): number {
    return this.sent.size;
  }
}
