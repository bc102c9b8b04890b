import type { ClickHouseClient } from '@clickhouse/client';
import { ANOMALIES_DEFAULT_LIMIT, ANOMALIES_MAX_LIMIT, queryAnomalies, type Anomaly } from './anomalies';
import { queryChartPoints, type ChartPoint } from './chart-points';
import { queryChartWindows, type ChartWindow } from './chart-windows';
import type { PageChart } from './params';

/**
 * One read for the live page: the chosen chart's points (or, for the seller drill-down, the chosen
 * seller's breaches), the latest anomalies of every chart, and the global windows the pipeline
 * overview is drawn from; all of it, or only what was (re)written since a time.
 */

export interface LiveSubscription {
  stream: string;
  chart: PageChart;
  /** global, origin=..., country=... for a dimension chart; seller=<id> (or nothing yet) for the seller drill-down. */
  dimension?: string;
  /** First window start shown, epoch seconds. */
  from: number;
}

export interface LiveRows { points: ChartPoint[]; breaches: Anomaly[]; anomalies: Anomaly[]; windows: ChartWindow[] }

/** Windows stamped further ahead of the clock than this came from a wrong clock: left off the live page. */
const MAX_AHEAD_S = 3600;

export async function readLive(client: ClickHouseClient, db: string, sub: LiveSubscription, since: number | undefined): Promise<LiveRows> {
  const range = { stream: sub.stream, from: sub.from, to: Math.floor(Date.now() / 1000) + MAX_AHEAD_S, since };
  const seller = sub.chart === 'seller' ? sub.dimension : undefined;
  const [points, breaches, anomalies, windows] = await Promise.all([
    sub.chart === 'seller' ? [] : queryChartPoints(client, db, { ...range, chart: sub.chart, dimension: sub.dimension ?? 'global' }),
    seller === undefined ? [] : queryAnomalies(client, db, { ...range, dimension: seller, limit: ANOMALIES_MAX_LIMIT }),
    queryAnomalies(client, db, { ...range, limit: ANOMALIES_DEFAULT_LIMIT }),
    queryChartWindows(client, db, { ...range, dimension: 'global' }),
  ]);
  return { points, breaches, anomalies, windows };
}
