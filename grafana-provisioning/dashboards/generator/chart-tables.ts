import { loadEnv } from '../../../lib/config';
import type { AnnotationSpec, VariableSpec } from './panels';
import { indent, sql } from './panels';

/**
 * Reading the anomaly worker's tables (clickhouse-ddl/migrations/0004_control_charts.sql) from
 * Grafana. They are ReplacingMergeTree: until a merge, a window written twice (a replay, a new
 * leader) has two rows, and the last written one wins (argMax over the version column), as in
 * queries/chart-sql.ts.
 */

/** The raw topic charted: chart tables may hold several pipelines' charts. */
export const streamVariable = (hidden: boolean): VariableSpec => ({
  name: 'stream',
  label: 'Stream',
  description: 'The raw topic the anomaly worker charts.',
  rawSql: sql(`
    SELECT DISTINCT stream
    FROM chart_points
    WHERE $__timeFilter(window_start)
    ORDER BY stream`),
  multi: false,
  hidden,
  // The default raw topic; the generated files do not depend on the environment.
  current: loadEnv({}).UPLOAD_EVENTS_TOPIC,
});

const BREACH_COLUMNS = ['severity', 'value', 'center', 'ucl', 'lcl', 'p_value'];

/**
 * The breaches of the dashboard's stream and time range that match `where` (SQL over the
 * anomalies columns), one row per window, chart, dimension and rule: time, timeEnd, chart,
 * dimension, rule, severity (text), value, center, ucl, lcl, p_value.
 */
export const breaches = (where: string): string =>
  sql(`
    SELECT window_start AS time, window_end AS timeEnd, chart, dimension, rule,
      ${BREACH_COLUMNS.map((c) => `argMax(${c === 'severity' ? 'toString(severity)' : c}, detected_at) AS ${c}`).join(',\n      ')}
    FROM anomalies
    WHERE stream = \${stream:singlequote} AND $__timeFilter(window_start) AND ${where}
    GROUP BY time, timeEnd, chart, dimension, rule`);

/** Breaches of `charts` matching `where`, drawn as regions on `panels`: time, timeEnd, text, tags. */
export function breachAnnotation(name: string, charts: string[], where: string, panels: string[]): AnnotationSpec {
  return {
    name,
    color: 'red',
    panels,
    rawSql: sql(`
      SELECT time, timeEnd,
        concat(chart, ' ', dimension, ': rule ', rule, ' (', severity, '), value ', toString(round(value, 4)),
          ', centre ', toString(round(center, 4)), ', UCL ', toString(round(ucl, 4)), ', LCL ', toString(round(lcl, 4))) AS text,
        concat(chart, ',', dimension, ',rule ', rule, ',', severity) AS tags
      FROM (
        ${indent(breaches(`chart IN (${charts.map((c) => `'${c}'`).join(', ')}) AND ${where}`), 8)}
      )
      ORDER BY time`),
  };
}
