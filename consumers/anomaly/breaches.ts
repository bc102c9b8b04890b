import type { Limits } from './charts';

/** What the charts produce: points for display, breaches for records, metrics and alerts. */

export const DIMENSION_CHARTS = ['failure_rate', 'latency_mean', 'latency_p95', 'latency_p99', 'latency_ewma'] as const;
export type DimensionChart = (typeof DIMENSION_CHARTS)[number];

export type Severity = 'page' | 'ticket';
/** Western Electric rule 1-4, or "tail": a seller's exact-tail test that survived the correction. */
export type BreachRule = '1' | '2' | '3' | '4' | 'tail';

export interface ChartPoint {
  chart: DimensionChart;
  dimension: string;
  /** Window start, epoch ms (event time). */
  windowStart: number;
  value: number;
  /** Observations behind the value (events, or latencies measured). */
  n: number;
  /** Undefined while the baseline is warming up. */
  limits?: Limits;
  rules: BreachRule[];
}

export interface Breach {
  chart: string;
  dimension: string;
  windowStart: number;
  windowEnd: number;
  value: number;
  center: number;
  ucl: number;
  lcl: number;
  /** Seller tests: the exact-tail p-value before the correction. */
  pValue?: number;
  rule: BreachRule;
  severity: Severity;
}

/** The same breach always has the same id, so a replayed window rewrites rather than adds. */
export const breachId = (b: Pick<Breach, 'chart' | 'dimension' | 'windowStart' | 'rule'>): string => `${b.chart}|${b.dimension}|${b.windowStart}|${b.rule}`;
