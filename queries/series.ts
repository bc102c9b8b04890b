import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { identifier, quoteString, uint64 } from '../lib/sql';
import { LEVEL_SECONDS, type Level } from '../clickhouse-ddl/rollup-levels';
import { rangeCheck, time } from './params';

/**
 * Time series for control charts, read from the rollups. Used by every consumer of chart data
 * (the API's /v1/series, dashboards, the anomaly worker's rebuilds). The step, when not asked for,
 * follows the range: a minute up to 7 days, an hour up to 92 days, a day beyond. The rollup level
 * follows the step: minutes for steps under an hour (ranges up to 7 days), days for all-seller
 * steps of whole days (0007_all_seller_daily_rollup.sql), hours otherwise. A point sums the rollup
 * rows whose start lies in [from, to).
 */

export const METRICS = ['events', 'failure_rate', 'latency_p50', 'latency_p95', 'latency_p99'] as const;
export type Metric = (typeof METRICS)[number];

const { '1m': MINUTE, '1h': HOUR, '1d': DAY } = LEVEL_SECONDS;
const MAX_RANGE_S = 3 * 366 * DAY;
const MINUTE_LEVEL_MAX_RANGE_S = 7 * DAY;
const HOURLY_DEFAULT_MAX_RANGE_S = 92 * DAY;
const MAX_POINTS = 10_000;

export const seriesParams = z
  .strictObject({
    metric: z.enum(METRICS, { error: `must be one of ${METRICS.join(', ')}` }),
    seller: z.string().regex(/^\d{1,20}$/, 'must be a seller id (decimal digits)').transform(BigInt).refine((v) => v <= 0xffff_ffff_ffff_ffffn, 'is larger than any seller id').optional(),
    country: z.string().regex(/^[A-Z]{2}$/, 'must be two uppercase letters (ISO 3166-1 alpha-2)').optional(),
    origin: z.string().regex(/^[a-z0-9._-]{1,64}$/, 'must be 1-64 of a-z, 0-9, dot, dash, underscore').optional(),
    from: time,
    to: time,
    step: z.coerce.number({ error: 'must be a number of seconds' }).int('must be whole seconds').min(MINUTE, 'must be at least 60 seconds').refine((s) => s % MINUTE === 0, 'must be a multiple of 60 seconds').optional(),
  })
  .superRefine(rangeCheck(MAX_RANGE_S, '3 years'));

export type SeriesQuery = z.output<typeof seriesParams>;
export interface SeriesPoint { t: string; value: number | null; events: number }
export interface Series { metric: Metric; level: Level; step: number; points: SeriesPoint[] }

const defaultStep = (range: number): number => (range <= MINUTE_LEVEL_MAX_RANGE_S ? MINUTE : range <= HOURLY_DEFAULT_MAX_RANGE_S ? HOUR : DAY);

export function plan(q: SeriesQuery): { level: Level; step: number } {
  const range = q.to - q.from;
  const wanted = q.step ?? defaultStep(range);
  const level: Level = range <= MINUTE_LEVEL_MAX_RANGE_S && wanted < HOUR ? '1m' : q.seller === undefined && wanted % DAY === 0 ? '1d' : '1h';
  const unit = LEVEL_SECONDS[level];
  // At least the level's unit, and few enough points for a chart.
  const minimum = Math.ceil(range / MAX_POINTS / unit) * unit;
  const step = Math.max(unit, minimum, Math.ceil(wanted / unit) * unit);
  return { level, step };
}

const VALUE: Record<Metric, string> = {
  events: 'toFloat64(countMerge(events))',
  // Failure rate of finished attempts: ERROR among the events that end an attempt.
  failure_rate: "sumIf(toFloat64(countMerge_e), event = 'ERROR') / nullIf(sumIf(toFloat64(countMerge_e), event != 'UPDATE'), 0)",
  latency_p50: 'quantilesIfMerge(0.5, 0.9, 0.95, 0.99)(latency_q)[1]',
  latency_p95: 'quantilesIfMerge(0.5, 0.9, 0.95, 0.99)(latency_q)[3]',
  latency_p99: 'quantilesIfMerge(0.5, 0.9, 0.95, 0.99)(latency_q)[4]',
};

// Without a seller the all-seller rollups answer (0005_all_seller_rollups.sql): their quantiles are t-digests.
const ALL_SELLERS_QUANTILE: Partial<Record<Metric, string>> = {
  latency_p50: 'quantilesTDigestIfMerge(0.5, 0.9, 0.95, 0.99)(latency_q)[1]',
  latency_p95: 'quantilesTDigestIfMerge(0.5, 0.9, 0.95, 0.99)(latency_q)[3]',
  latency_p99: 'quantilesTDigestIfMerge(0.5, 0.9, 0.95, 0.99)(latency_q)[4]',
};

export function seriesSql(db: string, q: SeriesQuery): { sql: string; level: Level; step: number } {
  const { level, step } = plan(q);
  const where = [
    `minute >= toDateTime(${Math.floor(q.from)})`,
    `minute < toDateTime(${Math.floor(q.to)})`,
    ...(q.seller !== undefined ? [`seller_id = ${uint64(q.seller)}`] : []),
    ...(q.country ? [`country = ${quoteString(q.country)}`] : []),
    ...(q.origin ? [`origin = ${quoteString(q.origin)}`] : []),
  ].join(' AND ');
  const allSellers = q.seller === undefined;
  const table = `${identifier(db)}.upload_rollup_${allSellers ? 'all_' : ''}${level}`;
  const value = (allSellers && ALL_SELLERS_QUANTILE[q.metric]) || VALUE[q.metric];
  const bucket = `toDateTime(intDiv(toUInt32(minute), ${step}) * ${step})`;
  // Output columns are t, value, n: `events` would shadow the rollup column of that name.
  const sql =
    q.metric === 'failure_rate'
      ? // Per event type first, so ERROR and finished counts can be compared within a bucket.
        `SELECT t, ${VALUE.failure_rate} AS value, sum(countMerge_e) AS n FROM (
           SELECT ${bucket} AS t, event, countMerge(events) AS countMerge_e FROM ${table} WHERE ${where} GROUP BY t, event
         ) GROUP BY t ORDER BY t`
      : `SELECT ${bucket} AS t, ${value} AS value, countMerge(events) AS n FROM ${table} WHERE ${where} GROUP BY t ORDER BY t`;
  return { sql, level, step };
}

export async function querySeries(client: ClickHouseClient, db: string, q: SeriesQuery): Promise<Series> {
  const { sql, level, step } = seriesSql(db, q);
  const rows = await (await client.query({ query: sql, format: 'JSONEachRow' })).json<{ t: string; value: number | string | null; n: number | string }>();
  return {
    metric: q.metric,
    level,
    step,
    points: rows.map((r) => ({
      t: `${r.t.replace(' ', 'T')}Z`,
      value: r.value === null || Number.isNaN(Number(r.value)) ? null : Number(r.value),
      events: Number(r.n),
    })),
  };
}
