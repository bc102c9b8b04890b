import type { ClickHouseClient } from '@clickhouse/client';
import type pino from 'pino';
import { queryRows } from '../../lib/clickhouse';
import { identifier } from '../../lib/sql';
import { discoverRollups, rebuildHours, type RollupView } from '../replay/rollups';

/**
 * Keeps the rollups of recent hours equal to the deduplicated raw table. ClickHouse 18.16's Kafka
 * engine can deliver a block again after a rebalance of the ingest group (an ingest server
 * restarting); the raw table collapses the copies (ReplacingMergeTree on event_key, read with
 * FINAL) but the rollup views counted them. So can an event re-sent after curate's dedup window.
 * Each pass compares, hour by hour, the events of every rollup with the raw events, and rebuilds the
 * hours that differ from the raw table (consumers/replay/rollups.ts, rebuildHours).
 *
 * Only closed hours that ended `settleMs` ago are compared, so that rows still in flight do not
 * look like drift. A late event inserted into an hour while it is rebuilt can be counted twice;
 * the next pass sees and repairs that.
 */

export interface ReconcileWindow {
  /** Epoch seconds: the first hour compared, and the end of the last one. */
  from: number;
  to: number;
}

const HOUR_S = 3600;

/** The closed hours of the last `lookbackHours` that ended at least `settleMs` before `now`. */
export function reconcileWindow(now: Date, lookbackHours: number, settleMs: number): ReconcileWindow {
  const to = Math.floor((now.getTime() - settleMs) / 1000 / HOUR_S) * HOUR_S;
  return { from: to - lookbackHours * HOUR_S, to };
}

const hourCounts = async (ch: ClickHouseClient, query: string): Promise<Map<number, number>> =>
  new Map((await queryRows<{ hour: number; n: string }>(ch, query)).map((r) => [Number(r.hour), Number(r.n)]));

/** Views whose target counts events (an `events` count state): the ones compared. */
export const countedViews = (views: RollupView[]): RollupView[] => views.filter((v) => v.columns.includes('events'));

/** Hour starts (epoch seconds) in the window where some rollup's events differ from the raw table's. */
export async function driftedHours(ch: ClickHouseClient, db: string, views: RollupView[], w: ReconcileWindow): Promise<number[]> {
  identifier(db);
  const raw = await hourCounts(
    ch,
    `SELECT toUInt32(toStartOfHour(event_time)) AS hour, count() AS n FROM ${db}.upload_events FINAL
     WHERE event_date >= toDate(toDateTime(${w.from})) AND event_date <= toDate(toDateTime(${w.to})) AND event_time >= toDateTime(${w.from}) AND event_time < toDateTime(${w.to})
     GROUP BY hour`,
  );
  const drifted = new Set<number>();
  for (const v of countedViews(views)) {
    const col = identifier(v.clear.column);
    const rolled = await hourCounts(
      ch,
      `SELECT toUInt32(toStartOfHour(${col})) AS hour, countMerge(events) AS n FROM ${db}.${identifier(v.distributed)}
       WHERE ${col} >= toDateTime(${w.from}) AND ${col} < toDateTime(${w.to}) GROUP BY hour`,
    );
    for (const hour of new Set([...raw.keys(), ...rolled.keys()])) if ((raw.get(hour) ?? 0) !== (rolled.get(hour) ?? 0)) drifted.add(hour);
  }
  return [...drifted].sort((a, b) => a - b);
}

/** One pass: compares the window and rebuilds the hours that drifted. Returns them (epoch seconds). */
export async function reconcileRollups(o: { ch: ClickHouseClient; db: string; window: ReconcileWindow; log: pino.Logger }): Promise<number[]> {
  const views = await discoverRollups(o.ch, o.db);
  const hours = await driftedHours(o.ch, o.db, views, o.window);
  if (hours.length > 0) {
    o.log.warn({ hours: hours.map((h) => new Date(h * 1000).toISOString()) }, 'rollups differ from the deduplicated raw table; rebuilding those hours');
    await rebuildHours({ ch: o.ch, db: o.db, views, hours, log: o.log });
  }
  return hours;
}
