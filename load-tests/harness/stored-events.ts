import type { ClickHouseClient } from '@clickhouse/client';
import { quoteString } from '../../lib/sql';

/**
 * A run's events in ClickHouse, found by the prefix of their attempt_id: `rows` as stored (a copy
 * redelivered by the Kafka engine counts until ReplacingMergeTree merges it away) and `distinct`
 * events (by event_key, the identity curate deduplicates on).
 */

export interface StoredCount { rows: number; distinct: number }

export async function countStored(ch: ClickHouseClient, database: string, attemptPrefix: string): Promise<StoredCount> {
  const rs = await ch.query({
    query: `SELECT count() AS rows, uniqExact(event_key) AS distinct_events FROM ${database}.upload_events
      WHERE event_date >= today() - 1 AND startsWith(attempt_id, ${quoteString(attemptPrefix)})`,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ rows: string; distinct_events: string }>();
  return { rows: Number(row.rows), distinct: Number(row.distinct_events) };
}
