import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '../../lib/clickhouse';
import { quoteString } from '../../lib/sql';

/**
 * A run's events in ClickHouse, found by the prefix of their attempt_id: `rows` as stored (a copy
 * redelivered by the Kafka engine counts until ReplacingMergeTree merges it away) and `distinct`
 * events (by event_key, the identity curate deduplicates on).
 */

export interface StoredCount { rows: number; distinct: number }

export async function countStored(ch: ClickHouseClient, database: string, attemptPrefix: string): Promise<StoredCount> {
  const [row] = await queryRows<{ rows: string; distinct_events: string }>(
    ch,
    `SELECT count() AS rows, uniqExact(event_key) AS distinct_events FROM ${database}.upload_events
      WHERE event_date >= today() - 1 AND startsWith(attempt_id, ${quoteString(attemptPrefix)})`,
  );
  return { rows: Number(row.rows), distinct: Number(row.distinct_events) };
}
