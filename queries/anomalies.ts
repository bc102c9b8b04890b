import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { queryRows } from '../lib/clickhouse';
import { CHART_MAX_RANGE_S, CHART_MAX_RANGE_TEXT, chartTable, chartWhere, lastWritten, num, numOrNull, type ChartRange } from './chart-sql';
import { anomalyChart, dimension, rangeCheck, stream, time } from './params';

/**
 * Breaches the anomaly worker's leader recorded (table anomalies), newest window first: control
 * chart points that broke a Western Electric rule, and seller tests that survived the correction
 * (rule `tail`). `GET /v1/anomalies` and the live feed read them here.
 */

export const ANOMALIES_DEFAULT_LIMIT = 200;
export const ANOMALIES_MAX_LIMIT = 2000;

export const anomaliesParams = z
  .strictObject({
    stream: stream.optional(),
    chart: anomalyChart.optional(),
    dimension: dimension.optional(),
    from: time,
    to: time,
    limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(ANOMALIES_MAX_LIMIT, `must be at most ${ANOMALIES_MAX_LIMIT}`).default(ANOMALIES_DEFAULT_LIMIT),
  })
  .superRefine(rangeCheck(CHART_MAX_RANGE_S, CHART_MAX_RANGE_TEXT));

export interface AnomaliesQuery extends ChartRange { chart?: string; dimension?: string; limit: number }

export interface Anomaly {
  /** chart|dimension|window start (ms)|rule: the same breach keeps its id. */
  id: string;
  chart: string;
  dimension: string;
  /** Window, epoch seconds (event time). */
  start: number;
  end: number;
  value: number;
  /** For seller tests: what the seller's history expected. */
  center: number;
  ucl: number;
  lcl: number;
  pValue: number | null;
  rule: string;
  severity: 'ticket' | 'page';
  /** When the leader closed the window, epoch seconds. */
  detected: number;
}

export function anomaliesSql(db: string, q: AnomaliesQuery): string {
  return `SELECT anomaly_id AS id, chart, dimension, toUInt32(window_start) AS start, toUInt32(window_end) AS end, rule,
  ${lastWritten('detected_at', ['value', 'center', 'ucl', 'lcl', 'p_value'])}, toString(argMax(severity, detected_at)) AS severity, toUInt32(max(detected_at)) AS detected
FROM ${chartTable(db, 'anomalies')} WHERE ${chartWhere(q, 'detected_at', { chart: q.chart, dimension: q.dimension })}
GROUP BY anomaly_id, chart, dimension, window_start, window_end, rule
ORDER BY start DESC, chart, dimension, rule LIMIT ${Math.floor(q.limit)}`;
}

type Row = Omit<Anomaly, 'pValue'> & { p_value: number | null };

export async function queryAnomalies(client: ClickHouseClient, db: string, q: AnomaliesQuery): Promise<Anomaly[]> {
  const rows = await queryRows<Row>(client, anomaliesSql(db, q));
  return rows.map(({ p_value, ...r }) => ({ ...r, start: num(r.start), end: num(r.end), detected: num(r.detected), pValue: numOrNull(p_value) }));
}
