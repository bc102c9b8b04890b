import type { ClickHouseClient } from '@clickhouse/client';
import type pino from 'pino';
import { identifier } from '../lib/sql';
import { CLUSTER, SHARDS_CLUSTER } from './migrate';

/**
 * Retention without TTL (ClickHouse 18.16 has none): whole partitions older than each table's
 * horizon are dropped on one replica per shard (ON CLUSTER upload_pulse_shards; migrate.ts says
 * why), and the replication log drops them on the twins.
 * Raw events: one year online (monthly partitions; the month a year back is kept whole).
 * Minute rollups: 3 months. Hour rollups, with or without sellers, and the all-seller day rollup:
 * 3 years (yearly partitions). Control charts and anomalies: one year, like the events they describe.
 */

export interface RetentionRule { table: string; unit: 'month' | 'year'; keep: number }

export const RETENTION: RetentionRule[] = [
  { table: 'upload_events_local', unit: 'month', keep: 12 },
  { table: 'upload_rollup_1m_local', unit: 'month', keep: 3 },
  { table: 'upload_rollup_1h_local', unit: 'year', keep: 3 },
  { table: 'upload_rollup_all_1m_local', unit: 'month', keep: 3 },
  { table: 'upload_rollup_all_1h_local', unit: 'year', keep: 3 },
  { table: 'upload_rollup_all_1d_local', unit: 'year', keep: 3 },
  { table: 'chart_windows_local', unit: 'month', keep: 12 },
  { table: 'chart_points_local', unit: 'month', keep: 12 },
  { table: 'anomalies_local', unit: 'month', keep: 12 },
];

/** The oldest partition id kept: YYYYMM for monthly tables, YYYY for yearly ones (UTC). */
export function oldestKept(rule: RetentionRule, now: Date): number {
  if (rule.unit === 'year') return now.getUTCFullYear() - rule.keep;
  const months = now.getUTCFullYear() * 12 + now.getUTCMonth() - rule.keep;
  return Math.floor(months / 12) * 100 + (months % 12) + 1;
}

/** Whether the rule still keeps the month (YYYYMM) at `now`: generators and backfills skip months it would drop. */
export function keepsMonth(rule: RetentionRule, month: string, now: Date): boolean {
  return Number(rule.unit === 'year' ? month.slice(0, 4) : month) >= oldestKept(rule, now);
}

export async function expiredPartitions(client: ClickHouseClient, db: string, rule: RetentionRule, now: Date): Promise<string[]> {
  // cluster(): one replica of every shard, so partitions present on any shard are seen.
  const rows = await (
    await client.query({
      query: `SELECT DISTINCT partition FROM cluster('${CLUSTER}', system, parts) WHERE database = '${identifier(db)}' AND table = '${identifier(rule.table)}' AND active ORDER BY partition`,
      format: 'JSONEachRow',
    })
  ).json<{ partition: string }>();
  const limit = oldestKept(rule, now);
  return rows.map((r) => r.partition).filter((p) => /^\d+$/.test(p) && Number(p) < limit);
}

export async function applyRetention(client: ClickHouseClient, db: string, now: Date, log: pino.Logger, opts: { dryRun?: boolean } = {}): Promise<Record<string, string[]>> {
  const dropped: Record<string, string[]> = {};
  for (const rule of RETENTION) {
    const expired = await expiredPartitions(client, db, rule, now);
    for (const partition of expired) {
      if (!opts.dryRun) await client.command({ query: `ALTER TABLE ${identifier(db)}.${identifier(rule.table)} ON CLUSTER ${SHARDS_CLUSTER} DROP PARTITION ${Number(partition)}` });
      log.info({ table: rule.table, partition, dryRun: Boolean(opts.dryRun) }, 'dropped expired partition');
    }
    dropped[rule.table] = expired;
  }
  return dropped;
}
