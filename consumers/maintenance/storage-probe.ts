import type { ClickHouseClient } from '@clickhouse/client';
import { Gauge, type Registry } from 'prom-client';
import { identifier, quoteString } from '../../lib/sql';
import type { Probe } from './probe-loop';

/**
 * What ClickHouse holds: upload_pulse_stored_events (rows in upload_events) and
 * upload_pulse_stored_latest_event_seconds (newest event time stored today or yesterday).
 * The IngestStalled alert compares the first with the events flowing in.
 */

export interface StorageProbeOptions {
  clickhouse: ClickHouseClient;
  database: string;
  /** The cluster the Distributed table spreads over (`upload_pulse` in both topologies). */
  cluster: string;
  registry: Registry;
  /** The Distributed table and the per-server table under it. */
  tables?: { distributed: string; local: string };
}

export const STORAGE_PROBE = 'storage';

/** A gauge that is absent from /metrics until it has a value: absence reads as "not measured", 0 would read as "empty". */
function optionalGauge(registry: Registry, name: string, help: string) {
  const gauge = new Gauge({ name, help, registers: [] });
  return {
    set(value: number) {
      gauge.set(value);
      if (!registry.getSingleMetric(name)) registry.registerMetric(gauge);
    },
    clear() {
      registry.removeSingleMetric(name);
    },
  };
}

export function storageProbe(opts: StorageProbeOptions): Probe {
  const db = identifier(opts.database);
  const tables = opts.tables ?? { distributed: 'upload_events', local: 'upload_events_local' };
  const stored = optionalGauge(opts.registry, 'upload_pulse_stored_events', 'Rows in upload_events (before ReplacingMergeTree collapses re-sent events, like count() without FINAL)');
  const latest = optionalGauge(opts.registry, 'upload_pulse_stored_latest_event_seconds', 'Newest event_time stored today or yesterday, epoch seconds; absent when none');

  // SELECT count() FROM upload_events reads a whole column of every row on 18.16 (no trivial-count
  // optimisation); the active parts' row counts give the same number from metadata alone. cluster()
  // reads one replica per shard, exactly as the Distributed table's count() does.
  const rowsQuery = `SELECT toString(sum(rows)) AS rows FROM cluster(${quoteString(opts.cluster)}, system, parts)
    WHERE active AND database = ${quoteString(db)} AND table = ${quoteString(identifier(tables.local))}`;
  // Partitions are months, so event_date prunes to the current (and on the 1st, the previous) month;
  // event_minute lets the primary index (seller_id, event_minute, ...) skip each seller's older granules.
  const latestQuery = `SELECT toUInt32(max(event_time)) AS latest FROM ${db}.${identifier(tables.distributed)}
    WHERE event_date >= yesterday() AND event_minute >= toDateTime(yesterday())`;

  const one = async <T>(query: string, signal: AbortSignal): Promise<T> => {
    const rs = await opts.clickhouse.query({ query, format: 'JSONEachRow', abort_signal: signal });
    const rows = await rs.json<T>();
    if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}: ${query}`);
    return rows[0];
  };

  return {
    name: STORAGE_PROBE,
    async run(signal) {
      const { rows } = await one<{ rows: string }>(rowsQuery, signal);
      stored.set(Number(rows));
      const row = await one<{ latest: number | string }>(latestQuery, signal);
      const seconds = Number(row.latest);
      // max() of no rows is the zero DateTime on 18.16.
      if (seconds > 0) latest.set(seconds);
      else latest.clear();
    },
  };
}
