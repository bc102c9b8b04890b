import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { queryRows } from '../lib/clickhouse';
import { CHART_MAX_RANGE_S, CHART_MAX_RANGE_TEXT, chartTable, chartWhere, num, type ChartRange } from './chart-sql';
import { pageChart, rangeCheck, stream, time, type PageChart } from './params';

/**
 * What the live page's dimension picker offers for a chart: the dimensions with points in the range
 * (global first, then origins and countries), or for the seller drill-down the sellers with
 * breaches in the range, most breaches first (sellers have no chart points: only breaches are kept).
 */

export const dimensionsParams = z
  .strictObject({ stream: stream.optional(), chart: pageChart, from: time, to: time })
  .superRefine(rangeCheck(CHART_MAX_RANGE_S, CHART_MAX_RANGE_TEXT));

export interface DimensionsQuery extends ChartRange { chart: PageChart }
/** `count`: windows charted, or for sellers breaches. */
export interface DimensionCount { dimension: string; count: number }

const MAX_DIMENSIONS = 1000;

export function dimensionsSql(db: string, q: DimensionsQuery): string {
  if (q.chart === 'seller') {
    return `SELECT dimension, uniqExact(anomaly_id) AS count FROM ${chartTable(db, 'anomalies')} WHERE ${chartWhere(q, 'detected_at')} AND startsWith(dimension, 'seller=')
GROUP BY dimension ORDER BY count DESC, dimension LIMIT ${MAX_DIMENSIONS}`;
  }
  return `SELECT dimension, uniqExact(window_start) AS count FROM ${chartTable(db, 'chart_points')} WHERE ${chartWhere(q, 'written_at', { chart: q.chart })}
GROUP BY dimension ORDER BY dimension != 'global', dimension LIMIT ${MAX_DIMENSIONS}`;
}

export async function queryDimensions(client: ClickHouseClient, db: string, q: DimensionsQuery): Promise<DimensionCount[]> {
  const rows = await queryRows<{ dimension: string; count: string }>(client, dimensionsSql(db, q));
  return rows.map((r) => ({ dimension: r.dimension, count: num(r.count) }));
}
