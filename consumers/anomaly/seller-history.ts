import type { ClickHouseClient } from '@clickhouse/client';
import { identifier } from '../../lib/sql';
import { SEED_SPAN_MS } from './baseline-seed';
import { HOUR_MS } from './charts';
import { partitionOfSeller } from './in-memory-run';
import type { SellerCount } from './partition-windows';
import type { SellerHistory } from './seller-monitor';

/**
 * Where a new owner of a raw partition gets its sellers' baselines back: the storage's rollups.
 * Offsets resume at the oldest open window, so the windows before it are never counted again; without
 * this the owner would start every seller from nothing and test none for minBaselineWindows.
 * - Hourly rollups cover the span a seller baseline looks back (two weeks and a day), up to the hour
 *   in which the trailing windows begin; the minute rollup covers the rest window by window, so the
 *   trailing baseline, the silence count and the shrinkage target come back as they were.
 * - Differences from the state the previous owner had, all small and documented: rollups count the
 *   curated stream (re-sent duplicates dropped), suspect windows are in (the owner left them out),
 *   and the hour in which a seller was first seen counts whole.
 * - Rollups hold the default stream only: a worker reading another topic sets ANOMALY_SELLER_HISTORY=none.
 */

export interface Takeover {
  partition: number;
  /** Start of the first window the owner will count (the committed position's closedUntil). */
  resumeAt: number;
}

export interface SellerHistoryOptions {
  windowMs: number;
  /** Raw partitions, to find each seller's (the producer's murmur2 of the seller key). */
  partitions: number;
  trailingWindows: number;
  forgetAfterMs: number;
}

export interface PartitionHistory {
  sellers: Map<string, SellerHistory>;
  /** The partition's attempts and failures in each of its last trailingWindows windows. */
  prior: SellerCount[];
}

/** A seller's attempts and failures in one rollup row (a minute or an hour). */
export interface RollupRow extends SellerCount {
  seller: string;
  start: number;
}
type Row = RollupRow;

const MINUTE_MS = 60_000;

async function loadRows(clickhouse: ClickHouseClient, database: string, table: string, fromMs: number, untilMs: number): Promise<Row[]> {
  if (untilMs <= fromMs) return [];
  const rows = await (
    await clickhouse.query({
      query: `SELECT toString(seller_id) AS seller, toUInt32(minute) AS start, sumIf(n, event != 'UPDATE') AS attempts, sumIf(n, event = 'ERROR') AS failures
              FROM (SELECT seller_id, minute, event, countMerge(events) AS n FROM ${identifier(database)}.${identifier(table)}
                    WHERE minute >= toDateTime(${Math.floor(fromMs / 1000)}) AND minute < toDateTime(${Math.floor(untilMs / 1000)})
                    GROUP BY seller_id, minute, event)
              GROUP BY seller_id, minute HAVING attempts > 0`,
      format: 'JSONEachRow',
    })
  ).json<{ seller: string; start: number; attempts: string; failures: string }>();
  return rows.map((r) => ({ seller: r.seller, start: Number(r.start) * 1000, attempts: Number(r.attempts), failures: Number(r.failures) }));
}

const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;

/** Minute rows start where a partition's trailing windows begin, rounded down to the hour. */
const recentFrom = (t: Takeover, o: SellerHistoryOptions) => floorTo(t.resumeAt - o.trailingWindows * o.windowMs, HOUR_MS);

function sellerHistory(hours: Row[], minutes: Row[], t: Takeover, o: SellerHistoryOptions): SellerHistory | undefined {
  const active = [...hours.map((r) => r.start), ...minutes.map((r) => r.start)].sort((x, y) => x - y);
  if (active.length === 0) return undefined;
  const lastSeen = floorTo(active[active.length - 1], o.windowMs);
  if (t.resumeAt - o.windowMs - lastSeen > o.forgetAfterMs) return undefined;
  // Tracking began after the last silence long enough to be forgotten.
  let trackedFrom = active[0];
  for (let i = 1; i < active.length; i++) if (active[i] - active[i - 1] > o.forgetAfterMs) trackedFrom = active[i];

  const split = recentFrom(t, o);
  const byHour = new Map(hours.map((r) => [r.start, r]));
  const history: SellerHistory = { hours: [], windows: [], lastSeen };
  for (let h = floorTo(trackedFrom, HOUR_MS); h < split; h += HOUR_MS) {
    const r = byHour.get(h);
    history.hours.push({ start: h, windows: HOUR_MS / o.windowMs, attempts: r?.attempts ?? 0, failures: r?.failures ?? 0 });
  }
  const byWindow = new Map<number, SellerCount>();
  for (const r of minutes) {
    const w = floorTo(r.start, o.windowMs);
    const c = byWindow.get(w) ?? { attempts: 0, failures: 0 };
    byWindow.set(w, { attempts: c.attempts + r.attempts, failures: c.failures + r.failures });
  }
  for (let w = Math.max(split, floorTo(trackedFrom, o.windowMs)); w < t.resumeAt; w += o.windowMs) history.windows.push({ start: w, ...(byWindow.get(w) ?? { attempts: 0, failures: 0 }) });
  return history;
}

/** The sellers' histories of each taken-over partition, from two rollup queries for all of them. */
export async function loadSellerHistories(clickhouse: ClickHouseClient, database: string, takeovers: Takeover[], o: SellerHistoryOptions): Promise<Map<number, PartitionHistory>> {
  // Minute rows cannot be split into shorter windows.
  if (takeovers.length === 0 || o.windowMs % MINUTE_MS !== 0) return new Map();
  const splits = takeovers.map((t) => recentFrom(t, o));
  const [hourRows, minuteRows] = await Promise.all([
    loadRows(clickhouse, database, 'upload_rollup_1h', floorTo(Math.min(...takeovers.map((t) => t.resumeAt)) - SEED_SPAN_MS, HOUR_MS), Math.max(...splits)),
    loadRows(clickhouse, database, 'upload_rollup_1m', Math.min(...splits), Math.max(...takeovers.map((t) => t.resumeAt))),
  ]);
  return sellerHistories(hourRows, minuteRows, takeovers, o);
}

/** loadSellerHistories() once the rows are in: hourly rows before each partition's recent hour, minute rows from it. */
export function sellerHistories(hourRows: RollupRow[], minuteRows: RollupRow[], takeovers: Takeover[], o: SellerHistoryOptions): Map<number, PartitionHistory> {
  const result = new Map<number, PartitionHistory>();
  const byPartition = (rows: Row[]) => {
    const out = new Map<number, Map<string, Row[]>>();
    for (const r of rows) {
      const p = partitionOfSeller(r.seller, o.partitions);
      let sellers = out.get(p);
      if (!sellers) out.set(p, (sellers = new Map()));
      const list = sellers.get(r.seller);
      if (list) list.push(r);
      else sellers.set(r.seller, [r]);
    }
    return out;
  };
  const hours = byPartition(hourRows);
  const minutes = byPartition(minuteRows);

  for (const t of takeovers) {
    const split = recentFrom(t, o);
    const mine = (rows: Map<string, Row[]> | undefined, from: number, until: number) =>
      new Map([...(rows ?? [])].map(([seller, list]) => [seller, list.filter((r) => r.start >= from && r.start < until)]));
    const h = mine(hours.get(t.partition), t.resumeAt - SEED_SPAN_MS, split);
    const m = mine(minutes.get(t.partition), split, t.resumeAt);
    const sellers = new Map<string, SellerHistory>();
    for (const seller of new Set([...h.keys(), ...m.keys()])) {
      const history = sellerHistory(h.get(seller) ?? [], m.get(seller) ?? [], t, o);
      if (history) sellers.set(seller, history);
    }
    const firstPrior = t.resumeAt - o.trailingWindows * o.windowMs;
    const prior: SellerCount[] = Array.from({ length: o.trailingWindows }, () => ({ attempts: 0, failures: 0 }));
    for (const list of m.values())
      for (const r of list) {
        const i = (floorTo(r.start, o.windowMs) - firstPrior) / o.windowMs;
        if (i < 0) continue;
        prior[i].attempts += r.attempts;
        prior[i].failures += r.failures;
      }
    result.set(t.partition, { sellers, prior });
  }
  return result;
}
