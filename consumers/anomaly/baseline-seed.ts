import type { ClickHouseClient } from '@clickhouse/client';
import { identifier, quoteString } from '../../lib/sql';
import type { DimensionWindow } from './dimension-charts';

/**
 * What a newly elected leader rebuilds its baselines from: the windows its predecessors wrote to
 * chart_windows before the resume point, over the longest span a baseline looks back (two weeks
 * for same-weekday comparisons, plus a day). The last write of a window wins, as in the table.
 */

export const SEED_SPAN_MS = 15 * 86_400_000;

interface Row {
  dimension: string;
  start: string;
  events: string;
  attempts: string;
  failures: string;
  latency_count: string;
  latency_sum: number;
  latency_sumsq: number;
  latency_p95: number | null;
  latency_p99: number | null;
  in_control: number;
}

export async function loadSeedWindows(clickhouse: ClickHouseClient, database: string, stream: string, untilMs: number): Promise<DimensionWindow[]> {
  const from = Math.floor((untilMs - SEED_SPAN_MS) / 1000);
  const until = Math.floor(untilMs / 1000);
  const latest = (col: string) => `argMax(${col}, written_at) AS ${col}`;
  const rows = await (
    await clickhouse.query({
      query: `SELECT dimension, toUInt32(window_start) AS start, ${['events', 'attempts', 'failures', 'latency_count', 'latency_sum', 'latency_sumsq', 'latency_p95', 'latency_p99', 'in_control'].map(latest).join(', ')}
              FROM ${identifier(database)}.chart_windows
              WHERE stream = ${quoteString(stream)} AND window_start >= toDateTime(${from}) AND window_start < toDateTime(${until})
              GROUP BY dimension, start ORDER BY start, dimension`,
      format: 'JSONEachRow',
    })
  ).json<Row>();
  return rows.map((r) => {
    const latencyCount = Number(r.latency_count);
    return {
      dimension: r.dimension,
      start: Number(r.start) * 1000,
      events: Number(r.events),
      attempts: Number(r.attempts),
      failures: Number(r.failures),
      latencyCount,
      latencySum: r.latency_sum,
      latencySumSq: r.latency_sumsq,
      ...(latencyCount > 0 ? { latencyMean: r.latency_sum / latencyCount } : {}),
      ...(r.latency_p95 !== null ? { p95: r.latency_p95 } : {}),
      ...(r.latency_p99 !== null ? { p99: r.latency_p99 } : {}),
      inControl: r.in_control === 1,
    };
  });
}
