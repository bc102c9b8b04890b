import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { queryRows } from '../lib/clickhouse';
import { CHART_MAX_RANGE_S, CHART_MAX_RANGE_TEXT, CHART_MAX_ROWS, chartTable, chartWhere, lastWritten, num, numOrNull, type ChartRange } from './chart-sql';
import { dimension, dimensionChart, rangeCheck, stream, time, type DimensionChartName } from './params';

/**
 * One control chart as the anomaly worker's leader drew it (table chart_points): per window the
 * value, the centre line and limits (null while the baseline warms up), sigma for the zones, and the
 * Western Electric rules the point broke. `GET /v1/chart-points` and the live feed read it here.
 */

export const chartPointsParams = z
  .strictObject({ stream: stream.optional(), chart: dimensionChart, dimension, from: time, to: time })
  .superRefine(rangeCheck(CHART_MAX_RANGE_S, CHART_MAX_RANGE_TEXT));

export interface ChartPointsQuery extends ChartRange { chart: DimensionChartName; dimension: string }

export interface ChartPoint {
  /** Window start, epoch seconds (event time). */
  t: number;
  value: number;
  /** Observations behind the value. */
  n: number;
  center: number | null;
  ucl: number | null;
  lcl: number | null;
  /** One sigma of the plotted statistic; in log units on the quantile charts (latency_p95, latency_p99). */
  sigma: number | null;
  rules: string[];
  /** When the leader wrote the point, epoch seconds. */
  written: number;
}

export function chartPointsSql(db: string, q: ChartPointsQuery): string {
  return `SELECT toUInt32(window_start) AS t, ${lastWritten('written_at', ['value', 'n', 'center', 'ucl', 'lcl', 'sigma', 'rules'])}, toUInt32(max(written_at)) AS written
FROM ${chartTable(db, 'chart_points')} WHERE ${chartWhere(q, 'written_at', { chart: q.chart, dimension: q.dimension })}
GROUP BY window_start ORDER BY window_start DESC LIMIT ${CHART_MAX_ROWS}`;
}

type Row = { t: number; value: number; n: string; center: number | null; ucl: number | null; lcl: number | null; sigma: number | null; rules: string[]; written: number };

/** Oldest window first. */
export async function queryChartPoints(client: ClickHouseClient, db: string, q: ChartPointsQuery): Promise<ChartPoint[]> {
  const rows = await queryRows<Row>(client, chartPointsSql(db, q));
  return rows.reverse().map((r) => ({ t: num(r.t), value: num(r.value), n: num(r.n), center: numOrNull(r.center), ucl: numOrNull(r.ucl), lcl: numOrNull(r.lcl), sigma: numOrNull(r.sigma), rules: r.rules, written: num(r.written) }));
}
