import type { ClickHouseClient } from '@clickhouse/client';
import type pino from 'pino';
import { queryRows } from '../../lib/clickhouse';
import { identifier } from '../../lib/sql';
import { coveringHours, discoverRollups, periodOf, rebuildHours, type RollupView } from '../replay/rollups';

/**
 * Keeps the rollups of recent hours equal to the deduplicated raw table. ClickHouse 18.16's Kafka
 * engine can deliver a block again after a rebalance of the ingest group (an ingest server
 * restarting); the raw table collapses the copies (ReplacingMergeTree on event_key, read with
 * FINAL) but the rollup views counted them. So can an event re-sent after curate's dedup window.
 * Each pass compares the events of every rollup with the raw events, period by period, and rebuilds
 * the periods that differ from the raw table (consumers/replay/rollups.ts, rebuildHours). A period
 * is an hour, or a rollup's own unit when that is longer: a daily rollup is compared and rebuilt by
 * whole days, once a day has closed inside the window (so a pass whose window holds a midnight reads
 * the raw table from the start of the day before it).
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

/** The whole periods of `period` seconds that closed inside the window, the one it begins in included. */
export function periodWindow(w: ReconcileWindow, period: number): ReconcileWindow {
  return { from: Math.floor(w.from / period) * period, to: Math.floor(w.to / period) * period };
}

const counts = async (ch: ClickHouseClient, query: string): Promise<Map<number, number>> =>
  new Map((await queryRows<{ start: number; n: string }>(ch, query)).map((r) => [Number(r.start), Number(r.n)]));

/** Views whose target counts events (an `events` count state): the ones compared. */
export const countedViews = (views: RollupView[]): RollupView[] => views.filter((v) => v.columns.includes('events'));

/** By view: the periods (epoch seconds of their start) whose events differ from the raw table's. Views without drift are left out. */
export async function driftedPeriods(ch: ClickHouseClient, db: string, views: RollupView[], w: ReconcileWindow): Promise<Record<string, number[]>> {
  identifier(db);
  const compared = countedViews(views)
    .map((v) => ({ v, period: periodOf(v) }))
    .map((c) => ({ ...c, pw: periodWindow(w, c.period) }))
    .filter((c) => c.pw.to > c.pw.from);
  if (compared.length === 0) return {};
  const from = Math.min(...compared.map((c) => c.pw.from));
  const to = Math.max(...compared.map((c) => c.pw.to));
  const rawHours = await counts(
    ch,
    `SELECT toUInt32(toStartOfHour(event_time)) AS start, count() AS n FROM ${db}.upload_events FINAL
     WHERE event_date >= toDate(toDateTime(${from})) AND event_date <= toDate(toDateTime(${to})) AND event_time >= toDateTime(${from}) AND event_time < toDateTime(${to})
     GROUP BY start`,
  );
  const drifted: Record<string, number[]> = {};
  for (const { v, period, pw } of compared) {
    const raw = new Map<number, number>();
    for (const [hour, n] of rawHours) {
      if (hour < pw.from || hour >= pw.to) continue;
      const start = Math.floor(hour / period) * period;
      raw.set(start, (raw.get(start) ?? 0) + n);
    }
    const col = identifier(v.clear.column);
    const rolled = await counts(
      ch,
      `SELECT intDiv(toUInt32(${col}), ${period}) * ${period} AS start, countMerge(events) AS n FROM ${db}.${identifier(v.distributed)}
       WHERE ${col} >= toDateTime(${pw.from}) AND ${col} < toDateTime(${pw.to}) GROUP BY start`,
    );
    const starts = [...new Set([...raw.keys(), ...rolled.keys()])].filter((s) => (raw.get(s) ?? 0) !== (rolled.get(s) ?? 0)).sort((a, b) => a - b);
    if (starts.length > 0) drifted[v.view] = starts;
  }
  return drifted;
}

/** One pass: compares the window and rebuilds, view by view, the periods that drifted. Returns the hours rebuilt in any view (epoch seconds). */
export async function reconcileRollups(o: { ch: ClickHouseClient; db: string; window: ReconcileWindow; log: pino.Logger }): Promise<number[]> {
  const views = await discoverRollups(o.ch, o.db);
  const drifted = await driftedPeriods(o.ch, o.db, views, o.window);
  const rebuilt = new Set<number>();
  for (const v of views) {
    const starts = drifted[v.view];
    if (!starts) continue;
    o.log.warn({ view: v.view, periods: starts.map((h) => new Date(h * 1000).toISOString()) }, 'rollup differs from the deduplicated raw table; rebuilding those periods');
    await rebuildHours({ ch: o.ch, db: o.db, views: [v], hours: starts, log: o.log });
    for (const h of coveringHours(starts, periodOf(v))) rebuilt.add(h);
  }
  return [...rebuilt].sort((a, b) => a - b);
}
