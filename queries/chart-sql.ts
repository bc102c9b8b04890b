import { identifier, quoteString } from '../lib/sql';

/**
 * What every read of the anomaly worker's chart tables (chart_points, chart_windows, anomalies)
 * shares: one stream, windows in [from, to), optionally only rows (re)written since a time (the
 * live feed), and the Replacing tables' rule that the last written version of a row wins.
 */

/** The chart endpoints answer at most this range: a week of one-minute windows is 10,080 points. */
export const CHART_MAX_RANGE_S = 7 * 86_400;
export const CHART_MAX_RANGE_TEXT = '7 days';
/** Rows one chart read returns at most, newest windows first. */
export const CHART_MAX_ROWS = 20_000;

export interface ChartRange {
  stream: string;
  /** Window starts, epoch seconds: from inclusive, to exclusive (open when undefined). */
  from: number;
  to?: number;
  /** Only rows whose version column is at or after this time, epoch seconds. */
  since?: number;
}

/** The WHERE clause: the range, plus `column = 'value'` for each defined entry of `equal`. */
export function chartWhere(range: ChartRange, versionColumn: string, equal: Record<string, string | undefined> = {}): string {
  const at = (seconds: number) => `toDateTime(${Math.floor(seconds)})`;
  return [
    `stream = ${quoteString(range.stream)}`,
    ...Object.entries(equal).flatMap(([column, value]) => (value === undefined ? [] : [`${identifier(column)} = ${quoteString(value)}`])),
    `window_start >= ${at(range.from)}`,
    ...(range.to !== undefined ? [`window_start < ${at(range.to)}`] : []),
    ...(range.since !== undefined ? [`${identifier(versionColumn)} >= ${at(range.since)}`] : []),
  ].join(' AND ');
}

/** `argMax(column, version) AS column` for each column: a row written twice counts as last written. */
export const lastWritten = (version: string, columns: string[]): string => columns.map((c) => `argMax(${identifier(c)}, ${identifier(version)}) AS ${identifier(c)}`).join(', ');

export const chartTable = (db: string, table: string): string => `${identifier(db)}.${identifier(table)}`;

/** ClickHouse JSON: 64-bit integers arrive as strings, Nullable as null. */
export const num = (v: number | string): number => Number(v);
export const numOrNull = (v: number | string | null): number | null => (v === null ? null : Number(v));
