import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouse, queryRows } from '../../lib/clickhouse';
import { quoteString } from '../../lib/sql';
import type { StackLayout } from '../../stack/layout';
import type { StoredCounts } from './outcome';

/** What ClickHouse holds of a run (events whose attempt_id starts with the run's tag), overall, per request and per replica. */

const ofRun = (runTag: string) => `event_date >= today() - 1 AND startsWith(attempt_id, ${quoteString(`${runTag}-`)})`;

export async function storedCounts(ch: ClickHouseClient, db: string, runTag: string): Promise<StoredCounts> {
  // attempt_id = <run tag>-<request seq>-<model attempt>
  const perRequest = await queryRows<{ seq: string; n: string }>(
    ch,
    `SELECT splitByChar('-', replaceOne(attempt_id, ${quoteString(`${runTag}-`)}, ''))[1] AS seq, uniqExact(event_key) AS n
       FROM ${db}.upload_events WHERE ${ofRun(runTag)} GROUP BY seq`,
  );
  const [all] = await queryRows<{ rows: string; distinct_events: string }>(ch, `SELECT count() AS rows, uniqExact(event_key) AS distinct_events FROM ${db}.upload_events WHERE ${ofRun(runTag)}`);
  const [final] = await queryRows<{ rows: string }>(ch, `SELECT count() AS rows FROM ${db}.upload_events FINAL WHERE ${ofRun(runTag)}`);
  return {
    byRequest: new Map(perRequest.map((r) => [Number(r.seq), Number(r.n)])),
    rows: Number(all.rows),
    rowsFinal: Number(final.rows),
    distinct: Number(all.distinct_events),
  };
}

export interface ReplicaCount { node: string; shard: number; replica: number; rowsFinal: number }

/** Each server's own copy of the run after it caught up with its shard's replication log. */
export async function replicaCounts(layout: StackLayout, db: string, runTag: string): Promise<ReplicaCount[]> {
  return Promise.all(
    layout.clickhouse.map(async (node) => {
      const client = createClickHouse(`http://127.0.0.1:${node.httpPort}`);
      try {
        await client.command({ query: `SYSTEM SYNC REPLICA ${db}.upload_events_local` });
        const [row] = await queryRows<{ rows: string }>(client, `SELECT count() AS rows FROM ${db}.upload_events_local FINAL WHERE ${ofRun(runTag)}`);
        return { node: node.name, shard: node.shard, replica: node.replica, rowsFinal: Number(row.rows) };
      } finally {
        await client.close();
      }
    }),
  );
}

/** Shards whose replicas disagree, as "shard N: a=x, b=y" lines; empty when every shard's replicas hold the same rows. */
export function divergentShards(counts: readonly ReplicaCount[]): string[] {
  const shards = [...new Set(counts.map((c) => c.shard))];
  return shards.flatMap((shard) => {
    const replicas = counts.filter((c) => c.shard === shard);
    return new Set(replicas.map((r) => r.rowsFinal)).size > 1 ? [`shard ${shard}: ${replicas.map((r) => `${r.node}=${r.rowsFinal}`).join(', ')}`] : [];
  });
}
