import type { Dashboard } from '../../dashboard-model';
import { breachAnnotation, breaches, streamVariable } from './chart-tables';
import { clickhouse, dashboard, indent, limitLines, sql, type PanelSpec } from './panels';

/**
 * Control charts as the anomaly worker drew them: every closed window's value with the centre line
 * and limits it was judged against (chart_points), for one dimension (global, an origin, a
 * country), and its breaches (anomalies) as annotations. Limits are absent while a baseline warms up.
 */

const DIMENSION = '${dimension:singlequote}';

/** One chart of the selected dimension: time, value, center, ucl, lcl. */
const points = (chart: string): string =>
  sql(`
    SELECT window_start AS time,
      argMax(value, written_at) AS value,
      argMax(center, written_at) AS center,
      argMax(ucl, written_at) AS ucl,
      argMax(lcl, written_at) AS lcl
    FROM chart_points
    WHERE stream = \${stream:singlequote} AND chart = '${chart}' AND dimension = ${DIMENSION} AND $__timeFilter(window_start)
    GROUP BY time
    ORDER BY time`);

interface ChartSpec {
  chart: string;
  title: string;
  description: string;
  unit: string;
  width: number;
}

const CHARTS: ChartSpec[] = [
  {
    chart: 'failure_rate',
    title: 'Failure rate: p-chart',
    description: "Failed among ended attempts per window, against p̄ ± 3σ (widened by Laney's factor when windows vary more than binomially). Judged once a window expects 5 failures.",
    unit: 'percentunit',
    width: 24,
  },
  { chart: 'latency_mean', title: 'Latency: window mean (X-bar)', description: 'Mean creation-to-event latency of creating events per window (100 or more), against the baseline mean ± 3σ.', unit: 'ms', width: 12 },
  {
    chart: 'latency_ewma',
    title: 'Latency: EWMA of the standardized mean',
    description: "EWMA (λ 0.2) of the X-bar chart's standardized value: slow drifts. Target 0; limits ±L·σ of the EWMA. Raises tickets only.",
    unit: 'none',
    width: 12,
  },
  { chart: 'latency_p95', title: 'Latency: p95 (individuals chart, log space)', description: 'Window p95 (400 or more latencies), limits drawn in log space. Raises tickets only.', unit: 'ms', width: 12 },
  { chart: 'latency_p99', title: 'Latency: p99 (individuals chart, log space)', description: 'Window p99 (2,000 or more latencies), limits drawn in log space. Raises tickets only.', unit: 'ms', width: 12 },
];

const chartPanel = (c: ChartSpec): PanelSpec => ({
  key: c.chart,
  type: 'timeseries',
  title: c.title,
  description: `${c.description} Breaches of this chart are the red regions.`,
  width: c.width,
  height: 8,
  unit: c.unit,
  targets: [clickhouse(points(c.chart), 'timeseries')],
  overrides: limitLines(),
});

export const controlCharts = (): Dashboard =>
  dashboard({
    uid: 'upload-pulse-control-charts',
    title: 'upload-pulse: control charts',
    description: 'The anomaly worker’s charts for one dimension: values, centre lines, control limits and breaches.',
    lookback: '3h',
    variables: [
      streamVariable(false),
      {
        name: 'dimension',
        label: 'Dimension',
        description: 'global, origin=<origin> or country=<code>.',
        rawSql: sql(`
          SELECT DISTINCT dimension
          FROM chart_points
          WHERE stream = \${stream:singlequote} AND $__timeFilter(window_start)
          ORDER BY dimension = 'global' DESC, dimension`),
        multi: false,
        current: 'global',
      },
    ],
    panels: [
      ...CHARTS.map(chartPanel),
      {
        type: 'table',
        title: 'Breaches, every origin and country',
        description: 'Every Western Electric breach in the time range (sellers are on the seller drill-down), newest first.',
        width: 24,
        height: 9,
        targets: [
          clickhouse(
            sql(`
              SELECT time, chart, dimension, rule, severity, value, center, ucl, lcl
              FROM (
                ${indent(breaches("dimension NOT LIKE 'seller=%'"), 16)}
              )
              ORDER BY time DESC, chart, dimension, rule
              LIMIT 500`),
            'table',
          ),
        ],
      },
    ],
    annotations: CHARTS.map((c) => breachAnnotation(`${c.chart} breaches`, [c.chart], `dimension = ${DIMENSION}`, [c.chart])),
  });
