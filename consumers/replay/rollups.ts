import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '../../lib/clickhouse';
import type pino from 'pino';
import { identifier, quoteString, uint64 } from '../../lib/sql';
import { unitOf } from '../../clickhouse-ddl/rollup-levels';
import { deleteWhere, dropPartitions } from './cluster-ops';
import { RefusalError } from './request';

/**
 * Rebuilding the pre-aggregations of whole months from the deduplicated raw table.
 *
 * The views are found on the server, not written here again: every materialized view fed by
 * upload_events_local (system.tables' dependencies), with its own SELECT, so a new pre-aggregation
 * is rebuilt (backfilled) by the same command. Per view and month:
 *   1. clear the month in the view's target table on every shard and replica: DROP PARTITION when
 *      the target is partitioned by month (toYYYYMM), else a DELETE mutation on its time column
 *      (the hourly rollup is partitioned by year);
 *   2. re-insert it: the view's SELECT, reading `upload_events FINAL` (copies of an event collapse,
 *      they share a shard) for the month, through the target's Distributed table, in chunks of
 *      sellers (the ordering key's prefix, so each chunk reads only its own index ranges and the
 *      GROUP BY stays small). Chunks are exact because the targets are Aggregating or Summing
 *      MergeTrees: partial states of one group merge.
 * The whole step is idempotent: run again, it clears and re-inserts the same rows.
 */

export type Month = string; // YYYYMM

export interface RollupView {
  view: string;
  /** The view's target (a local table) and the Distributed table over it. */
  target: string;
  distributed: string;
  /** Target columns in table order. */
  columns: string[];
  /** The view's SELECT, split around `FROM <db>.upload_events_local`. */
  select: string;
  tail: string;
  clear: ClearStrategy;
}

/** How a month leaves a target, and the target column holding the time (its partition key's argument). */
export interface ClearStrategy {
  by: 'partition' | 'delete';
  column: string;
}

const RAW_LOCAL = 'upload_events_local';
const RAW_DISTRIBUTED = 'upload_events';
const AGGREGATING = /^(Replicated)?(Aggregating|Summing)MergeTree$/;
const MUTATION_TIMEOUT_MS = 600_000;

/** `CREATE MATERIALIZED VIEW db.v TO db.t (...) AS SELECT ... FROM db.upload_events_local <tail>`, split. */
export function parseView(createQuery: string, db: string): { target: string; select: string; tail: string } {
  const to = new RegExp(`^CREATE MATERIALIZED VIEW \\S+ TO ${db}\\.(\\w+)[\\s\\S]*? AS (SELECT [\\s\\S]*?) FROM ${db}\\.${RAW_LOCAL}\\b([\\s\\S]*)$`).exec(createQuery);
  if (!to || /\bJOIN\b|\bFROM\b/i.test(to[3])) throw new RefusalError(`cannot rebuild from the raw table: view definition is not SELECT ... FROM ${db}.${RAW_LOCAL} [WHERE ...] [GROUP BY ...]: ${createQuery.slice(0, 200)}`);
  return { target: to[1], select: to[2], tail: to[3].trim() };
}

/** How a month is removed from a target, from its partition key. */
export function clearStrategy(target: string, partitionKey: string): ClearStrategy {
  const m = /^(?:(\w+)\()?(\w+)\)?$/.exec(partitionKey.replace(/\s+/g, ''));
  if (!m) throw new RefusalError(`cannot tell the time column of ${target} from its partition key "${partitionKey}"; rebuild it by hand`);
  return { by: m[1] === 'toYYYYMM' ? 'partition' : 'delete', column: m[2] };
}

const monthStart = (m: Month): string => `toDate('${m.slice(0, 4)}-${m.slice(4)}-01')`;
const inMonth = (m: Month): string => `event_date >= ${monthStart(m)} AND event_date < addMonths(${monthStart(m)}, 1)`;

/** Raw rows of one month and a seller range. */
export const monthScope = (m: Month, sellers: { from: bigint; to: bigint }): string =>
  `${inMonth(m)} AND seller_id >= ${uint64(sellers.from)} AND seller_id <= ${uint64(sellers.to)}`;

const HOUR_S = 3600;
const hourStart = (hour: number): string => {
  if (!Number.isInteger(hour) || hour < 0 || hour % HOUR_S !== 0) throw new Error(`${hour} is not the epoch second of an hour's start`);
  return `toDateTime(${hour})`;
};
/** Raw rows of one hour, given as the epoch second of its start (event_date first: it prunes partitions). */
export const hourScope = (hour: number): string =>
  `event_date = toDate(${hourStart(hour)}) AND event_time >= ${hourStart(hour)} AND event_time < ${hourStart(hour + HOUR_S)}`;

/** Re-inserted rows equal to earlier blocks (the same rebuild run twice) must not be dropped as retries. */
const REBUILD_INSERT_SETTINGS = { insert_distributed_sync: 1, insert_deduplicate: 0 } as const;

/** The view's SELECT over `upload_events FINAL`, limited to `scope` (monthScope, hourScope), as an INSERT into the target's Distributed table. */
export function rebuildQuery(db: string, v: RollupView, scope: string): string {
  const where = /^WHERE\s/i.exec(v.tail);
  let tail: string;
  if (where) {
    const m = /^WHERE\s+([\s\S]+?)(\s+(?:GROUP BY|HAVING|ORDER BY|LIMIT)\b[\s\S]*)?$/i.exec(v.tail);
    tail = `WHERE (${scope}) AND (${m?.[1] ?? ''})${m?.[2] ?? ''}`;
  } else tail = `WHERE ${scope} ${v.tail}`;
  return `INSERT INTO ${db}.${v.distributed} SELECT ${v.columns.join(', ')} FROM (${v.select} FROM ${db}.${RAW_DISTRIBUTED} FINAL ${tail})`;
}

/** Consecutive seller ranges of at most `maxRows` rows each (one seller is never split). */
export function sellerChunks(counts: { seller: bigint; rows: number }[], maxRows: number): { from: bigint; to: bigint; rows: number }[] {
  const chunks: { from: bigint; to: bigint; rows: number }[] = [];
  for (const c of counts) {
    const last = chunks[chunks.length - 1];
    if (last && last.rows + c.rows <= maxRows) {
      last.to = c.seller;
      last.rows += c.rows;
    } else chunks.push({ from: c.seller, to: c.seller, rows: c.rows });
  }
  return chunks;
}

/** Every materialized view on the raw local table, with what a rebuild needs to know about its target. */
export async function discoverRollups(ch: ClickHouseClient, db: string): Promise<RollupView[]> {
  const d = quoteString(identifier(db));
  const tables = await queryRows<{ name: string; engine: string; engine_full: string; partition_key: string; create_table_query: string; dependencies_table: string[] }>(
    ch,
    `SELECT name, engine, engine_full, partition_key, create_table_query, dependencies_table FROM system.tables WHERE database = ${d}`,
  );
  const byName = new Map(tables.map((t) => [t.name, t]));
  const raw = byName.get(RAW_LOCAL);
  if (!raw || !byName.has(RAW_DISTRIBUTED)) throw new RefusalError(`database ${db} has no ${RAW_LOCAL}/${RAW_DISTRIBUTED}: check CLICKHOUSE_DB and run npm run migrate`);
  const views: RollupView[] = [];
  for (const name of [...raw.dependencies_table].sort()) {
    const mv = byName.get(name);
    if (!mv || mv.engine !== 'MaterializedView') continue;
    const { target, select, tail } = parseView(mv.create_table_query, db);
    const t = byName.get(target);
    if (!t) throw new RefusalError(`view ${name} writes to ${db}.${target}, which does not exist`);
    if (!AGGREGATING.test(t.engine)) throw new RefusalError(`view ${name} writes to ${target} (${t.engine}): only Aggregating/Summing targets can be rebuilt in chunks exactly; rebuild it by hand`);
    const distributed = tables.find((x) => x.engine === 'Distributed' && new RegExp(`^Distributed\\([^,]+,\\s*'?${db}'?,\\s*'?${target}'?[,)]`).test(x.engine_full));
    if (!distributed) throw new RefusalError(`no Distributed table over ${db}.${target}: the rebuilt rows could not reach every shard`);
    const columns = await queryRows<{ name: string }>(ch, `SELECT name FROM system.columns WHERE database = ${d} AND table = ${quoteString(target)}`); // 18.16: in table order (it has no `position`)
    views.push({ view: name, target, distributed: distributed.name, columns: columns.map((c) => c.name), select, tail, clear: clearStrategy(target, t.partition_key) });
  }
  return views;
}

/**
 * Refuses a rebuild that would erase rollups the raw table can no longer give back: a month whose
 * raw events retention already dropped while a rollup (kept longer) still holds it.
 */
export async function checkRebuildable(ch: ClickHouseClient, db: string, views: RollupView[], months: Month[]): Promise<void> {
  for (const m of months) {
    const [{ n }] = await queryRows<{ n: string }>(ch, `SELECT count() AS n FROM ${db}.${RAW_DISTRIBUTED} WHERE ${inMonth(m)}`);
    if (Number(n) > 0) continue;
    for (const v of views) {
      const [{ kept }] = await queryRows<{ kept: string }>(ch, `SELECT count() AS kept FROM ${db}.${v.distributed} WHERE toYYYYMM(${v.clear.column}) = ${Number(m)}`);
      if (Number(kept) > 0) {
        throw new RefusalError(`the raw table holds no events of ${m.slice(0, 4)}-${m.slice(4)} (raw retention dropped them, or they were never stored) but ${v.target} still has ${kept} rows for it: rebuilding would erase them. Leave that month out of the range`);
      }
    }
  }
}

export interface RebuildProgress {
  view: string;
  month: Month;
  chunk: number;
  chunks: number;
}

/** Clears and re-inserts `months` of every view. Stops between chunks when `signal` aborts (the step is then redone whole). */
export async function rebuildRollups(o: { ch: ClickHouseClient; db: string; views: RollupView[]; months: Month[]; chunkRows: number; log: pino.Logger; signal: AbortSignal; onChunk?: (p: RebuildProgress) => void }): Promise<boolean> {
  const { ch, db } = o;
  const months = [...o.months].sort();
  for (const v of o.views) {
    if (v.clear.by === 'partition') await dropPartitions(ch, db, v.target, months);
    else await deleteWhere(ch, db, v.target, `toYYYYMM(${v.clear.column}) IN (${months.map(Number).join(', ')})`, MUTATION_TIMEOUT_MS);
    o.log.info({ view: v.view, target: v.target, months, cleared: v.clear.by === 'partition' ? 'DROP PARTITION' : `DELETE WHERE ${v.clear.column} in month` }, 'rollup months cleared');
    for (const month of months) {
      const counts = await queryRows<{ seller: string; n: string }>(ch, `SELECT toString(seller_id) AS seller, count() AS n FROM ${db}.${RAW_DISTRIBUTED} WHERE ${inMonth(month)} GROUP BY seller_id ORDER BY seller_id`);
      const chunks = sellerChunks(counts.map((c) => ({ seller: BigInt(c.seller), rows: Number(c.n) })), o.chunkRows);
      for (const [i, chunk] of chunks.entries()) {
        if (o.signal.aborted) return false;
        await ch.command({ query: rebuildQuery(db, v, monthScope(month, chunk)), clickhouse_settings: REBUILD_INSERT_SETTINGS });
        o.onChunk?.({ view: v.view, month, chunk: i + 1, chunks: chunks.length });
      }
      o.log.info({ view: v.view, month, chunks: chunks.length, rows: counts.reduce((n, c) => n + Number(c.n), 0) }, 'rollup month rebuilt');
    }
  }
  return true;
}

/** The smallest span a view can be rebuilt by: an hour, or its own unit when longer (a day row is cleared whole). */
export const periodOf = (v: RollupView): number => Math.max(HOUR_S, unitOf(v.target));

/** Every hour of the periods of `period` seconds that hold the given hours (epoch seconds), sorted. */
export function coveringHours(hours: number[], period: number): number[] {
  const starts = new Set(hours.map((h) => Math.floor(h / period) * period));
  return [...starts].flatMap((s) => Array.from({ length: period / HOUR_S }, (_, i) => s + i * HOUR_S)).sort((a, b) => a - b);
}

/**
 * Clears and re-inserts whole hours (epoch seconds of their start) of every view: one DELETE
 * mutation per view (it rewrites the parts holding those hours), then one insert per hour and view.
 * A view with a longer unit is rebuilt by whole periods: the hours given stand for the days holding them.
 * For repairs of a few recent hours (consumers/maintenance/rollup-reconcile.ts), not for backfills.
 */
export async function rebuildHours(o: { ch: ClickHouseClient; db: string; views: RollupView[]; hours: number[]; log: pino.Logger }): Promise<void> {
  if (o.hours.length === 0) return;
  for (const v of o.views) {
    const hours = coveringHours(o.hours, periodOf(v));
    const col = identifier(v.clear.column);
    await deleteWhere(o.ch, o.db, v.target, hours.map((h) => `(${col} >= ${hourStart(h)} AND ${col} < ${hourStart(h + HOUR_S)})`).join(' OR '), MUTATION_TIMEOUT_MS);
    for (const h of hours) await o.ch.command({ query: rebuildQuery(o.db, v, hourScope(h)), clickhouse_settings: REBUILD_INSERT_SETTINGS });
    o.log.info({ view: v.view, hours: hours.map((h) => new Date(h * 1000).toISOString()) }, 'rollup hours rebuilt');
  }
}
