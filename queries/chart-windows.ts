import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { queryRows } from '../lib/clickhouse';
import { CHART_MAX_RANGE_S, CHART_MAX_RANGE_TEXT, CHART_MAX_ROWS, chartTable, chartWhere, lastWritten, num, type ChartRange } from './chart-sql';
import { dimension, rangeCheck, stream, time } from './params';

/**
 * The windows the anomaly worker charted for one dimension (table chart_windows): events, ended
 * attempts, failures and latency per window. The pipeline overview of the live page (traffic,
 * failure rate, freshness) and `GET /v1/windows` read them here.
 */

export const chartWindowsParams = z
  .strictObject({ stream: stream.optional(), dimension: dimension.default('global'), from: time, to: time })
  .superRefine(rangeCheck(CHART_MAX_RANGE_S, CHART_MAX_RANGE_TEXT));

export interface ChartWindowsQuery extends ChartRange { dimension: string }

export interface ChartWindow {
  /** Window start, epoch seconds (event time). */
  t: number;
  seconds: number;
  events: number;
  attempts: number;
  failures: number;
  /** Mean latency of creating events, ms; null without any. */
  latencyMean: number | null;
  /** When the leader wrote the window, epoch seconds. */
  written: number;
}

export function chartWindowsSql(db: string, q: ChartWindowsQuery): string {
  return `SELECT toUInt32(window_start) AS t, ${lastWritten('written_at', ['window_seconds', 'events', 'attempts', 'failures', 'latency_count', 'latency_sum'])}, toUInt32(max(written_at)) AS written
FROM ${chartTable(db, 'chart_windows')} WHERE ${chartWhere(q, 'written_at', { dimension: q.dimension })}
GROUP BY window_start ORDER BY window_start DESC LIMIT ${CHART_MAX_ROWS}`;
}

type Row = { t: number; window_seconds: number; events: string; attempts: string; failures: string; latency_count: string; latency_sum: number; written: number };

/** Oldest window first. */
export async function queryChartWindows(client: ClickHouseClient, db: string, q: ChartWindowsQuery): Promise<ChartWindow[]> {
  const rows = await queryRows<Row>(client, chartWindowsSql(db, q));
  return rows.reverse().map((r) => {
    const latencies = num(r.latency_count);
    return { t: num(r.t), seconds: num(r.window_seconds), events: num(r.events), attempts: num(r.attempts), failures: num(r.failures), latencyMean: latencies > 0 ? num(r.latency_sum) / latencies : null, written: num(r.written) };
  });
}
