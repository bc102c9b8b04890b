import type { ClickHouseClient } from '@clickhouse/client';
import { CLUSTER, SHARDS_CLUSTER } from '../../clickhouse-ddl/migrate';
import { queryRows } from '../../lib/clickhouse';
import { identifier, quoteString } from '../../lib/sql';

/**
 * Removing rows on every shard and replica, as ClickHouse 18.16 allows (checked on the server). Both
 * run ON CLUSTER upload_pulse_shards, on one replica per shard, and replicate to the twin
 * (SHARDS_CLUSTER says why not on every replica):
 *   - `DROP PARTITION p`: parts inserted after it are not covered, whichever replica they reach
 *     first (their block numbers come after the dropped range);
 *   - `DELETE WHERE c`: a mutation. It applies to the parts that exist
 *     when it is created, never to rows inserted after the statement returned, and it runs in the
 *     background: waitForMutations polls system.mutations on every replica (through remote(), so
 *     only the cluster's native addresses are needed) until each has finished it.
 */

const POLL_MS = 250;

export async function dropPartitions(ch: ClickHouseClient, db: string, table: string, partitions: string[]): Promise<void> {
  for (const p of partitions) {
    if (!/^\d+$/.test(p)) throw new Error(`partition id "${p}" is not numeric`);
    await ch.command({ query: `ALTER TABLE ${identifier(db)}.${identifier(table)} ON CLUSTER ${SHARDS_CLUSTER} DROP PARTITION ${p}` });
  }
}

/** Native addresses of every server of the cluster, for remote(). */
export async function replicaAddresses(ch: ClickHouseClient): Promise<string[]> {
  const servers = await queryRows<{ host_address: string; port: number }>(ch, `SELECT host_address, port FROM system.clusters WHERE cluster = ${quoteString(CLUSTER)} ORDER BY shard_num, replica_num`);
  if (servers.length === 0) throw new Error(`cluster ${CLUSTER} is not in system.clusters of the server replayed into; check CLICKHOUSE_URL`);
  return servers.map((s) => `${s.host_address}:${s.port}`);
}

export async function waitForMutations(ch: ClickHouseClient, db: string, table: string, timeoutMs: number): Promise<void> {
  const everywhere = `remote(${quoteString((await replicaAddresses(ch)).join(','))}, system, mutations)`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [{ pending }] = await queryRows<{ pending: string }>(ch, `SELECT count() AS pending FROM ${everywhere} WHERE database = ${quoteString(db)} AND table = ${quoteString(table)} AND NOT is_done`);
    if (Number(pending) === 0) return;
    if (Date.now() > deadline) throw new Error(`${pending} deletions on ${db}.${table} are still running after ${Math.round(timeoutMs / 1000)} s; see system.mutations on each server, then resume the replay`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Deletes the rows matching `where` on every shard and replica, and waits until every replica has. */
export async function deleteWhere(ch: ClickHouseClient, db: string, table: string, where: string, timeoutMs: number): Promise<void> {
  await ch.command({ query: `ALTER TABLE ${identifier(db)}.${identifier(table)} ON CLUSTER ${SHARDS_CLUSTER} DELETE WHERE ${where}` });
  await waitForMutations(ch, db, table, timeoutMs);
}
