import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '../../lib/clickhouse';
import { quoteString } from '../../lib/sql';
import { distribution, type Distribution } from './stats';

/**
 * Freshness: from the moment a marker event is sent to the moment it is queryable in
 * upload_events. Markers are registered as they are sent; a poll loop asks ClickHouse which of the
 * pending ones are visible (by one key column, restricted by `where`) every `pollMs`, so each
 * figure is late by at most one poll.
 */

export interface FreshnessOptions {
  clickhouse: ClickHouseClient;
  database: string;
  /** The column whose value identifies a marker, e.g. attempt_id or ts. */
  keyColumn: string;
  /** SQL condition that selects the markers cheaply (partition and primary-key columns). */
  where: string;
  pollMs?: number;
  /** Pending markers asked about in one query. */
  maxPerQuery?: number;
}

/** `refused`: its request was answered with an error, so the marker was never meant to be stored. */
export interface Marker { key: string; sentAtMs: number; seenAtMs?: number; refused?: boolean }

export interface FreshnessSummary extends Distribution { markers: number; missing: number }

/**
 * Freshness of the markers: a marker never seen counts as infinitely late, so it lands in the top
 * percentiles. Refused markers are left out (the failed request is counted as an error instead).
 */
export function freshnessOf(markers: readonly Marker[]): FreshnessSummary {
  const meant = markers.filter((m) => !m.refused);
  const seen = meant.filter((m) => m.seenAtMs !== undefined).map((m) => m.seenAtMs! - m.sentAtMs);
  const lags = [...seen, ...Array<number>(meant.length - seen.length).fill(Number.POSITIVE_INFINITY)];
  return { ...distribution(lags), markers: meant.length, missing: meant.length - seen.length };
}

export class FreshnessTracker {
  private readonly markers: Marker[] = [];
  private readonly pending = new Map<string, Marker>();
  private stopping = false;
  private loop: Promise<void> | undefined;
  /** Polls that failed (ClickHouse busy or down): the markers stay pending and are asked again. */
  pollErrors = 0;

  constructor(private readonly opts: FreshnessOptions) {}

  get pollMs(): number {
    return this.opts.pollMs ?? 200;
  }

  mark(key: string, sentAtMs = Date.now()): void {
    const marker = { key, sentAtMs };
    this.markers.push(marker);
    this.pending.set(key, marker);
  }

  /** The marker's request was refused: it is no longer waited for. */
  withdraw(key: string): void {
    const marker = this.pending.get(key);
    if (!marker) return;
    marker.refused = true;
    this.pending.delete(key);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  start(): void {
    this.loop ??= (async () => {
      while (!this.stopping) {
        await this.pollOnce();
        await sleep(this.pollMs);
      }
    })();
  }

  /** Asks once about the pending markers; true when none is left pending. */
  async pollOnce(): Promise<boolean> {
    if (this.pending.size === 0) return true;
    const keys = [...this.pending.keys()].slice(0, this.opts.maxPerQuery ?? 2000);
    const column = this.opts.keyColumn;
    try {
      const rows = await queryRows<{ key: string }>(
        this.opts.clickhouse,
        `SELECT DISTINCT toString(${column}) AS key FROM ${this.opts.database}.upload_events WHERE ${this.opts.where} AND toString(${column}) IN (${keys.map(quoteString).join(',')})`,
      );
      const now = Date.now();
      for (const { key } of rows) {
        const marker = this.pending.get(key);
        if (marker) {
          marker.seenAtMs = now;
          this.pending.delete(key);
        }
      }
    } catch {
      this.pollErrors++;
    }
    return this.pending.size === 0;
  }

  /** Waits until every marker was seen or `timeoutMs` passed (the poll loop must be running). */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0 && Date.now() < deadline) await sleep(this.pollMs);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  all(): readonly Marker[] {
    return this.markers;
  }
}
