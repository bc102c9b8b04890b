import type { ClickHouseClient } from '@clickhouse/client';
import type pino from 'pino';
import type { AnomalyConfig } from '../../lib/config';
import { quoteString } from '../../lib/sql';
import { loadSeedWindows } from '../anomaly/baseline-seed';
import { CHART_TABLES, chartRows, insertChartRows, type ChartRows } from '../anomaly/chart-outputs';
import type { ClosedWindow } from '../anomaly/global-monitor';
import { EventTimeStages } from '../anomaly/in-memory-run';
import { observe } from '../anomaly/observed-event';
import { monitorOptions } from '../anomaly/options';
import type { UploadEvent } from '../../schemas/upload-event';
import { UndecodableError, type EventDecoder } from '../curate/decode-event';
import { deleteWhere } from './cluster-ops';
import type { RangeBatch } from './range-reader';

/**
 * The anomalies target: the anomaly worker's own stages (partition owners, leader, charts) run in
 * event time over the range, in this process, and their rows replace what chart_windows,
 * chart_points and anomalies held for the stream (the raw topic's name) in [from, to):
 *   1. the range's rows of the stream are deleted on every shard and replica (a mutation);
 *   2. the leader's baselines are seeded from chart_windows before `from`, as a new live leader
 *      seeds them (baseline-seed.ts); seller baselines start empty, as on a new partition owner;
 *   3. events are counted as the live worker counts them (late and future events left out), each
 *      partition's windows close on its watermark, and the range's end closes the rest;
 *   4. rows are written in bulk, with the range's windows only.
 * Results depend only on each partition's events in order, so the same range gives the same rows
 * (in-memory-run.test.ts proves it for the stages); a second run deletes and writes them again.
 * State is in memory: an interrupted pass is run again from the start of the range.
 */

// As the live worker: an event over a minute ahead of the clock is left out of the charts.
const FUTURE_TOLERANCE_MS = 60_000;
const FLUSH_WINDOWS = 500;
const MUTATION_TIMEOUT_MS = 600_000;

export interface AnomalyStats {
  counted: number;
  late: number;
  skipped: number;
  windows: number;
  breaches: number;
}

export interface AnomalyPassOptions {
  ch: ClickHouseClient;
  db: string;
  stream: string;
  fromMs: number;
  toMs: number;
  partitions: number;
  anomaly: AnomalyConfig;
  decode: EventDecoder;
  log: pino.Logger;
}

export interface AnomalyPass {
  handle: (batch: RangeBatch) => Promise<{ stored: Promise<void> }>;
  /** After the whole range was read: closes the last windows and writes what is left. */
  finish: () => Promise<AnomalyStats>;
}

/** The stream's chart rows of windows starting in [fromMs, toMs), as a WHERE clause. */
export const chartRange = (stream: string, fromMs: number, toMs: number): string =>
  `stream = ${quoteString(stream)} AND window_start >= toDateTime(${Math.floor(fromMs / 1000)}) AND window_start < toDateTime(${Math.ceil(toMs / 1000)})`;

export async function clearChartRange(ch: ClickHouseClient, db: string, stream: string, fromMs: number, toMs: number): Promise<void> {
  for (const table of CHART_TABLES) await deleteWhere(ch, db, `${table}_local`, chartRange(stream, fromMs, toMs), MUTATION_TIMEOUT_MS);
}

export async function startAnomalyPass(o: AnomalyPassOptions): Promise<AnomalyPass> {
  await clearChartRange(o.ch, o.db, o.stream, o.fromMs, o.toMs);
  const stages = new EventTimeStages(o.partitions, monitorOptions(o.anomaly, o.partitions), o.fromMs);
  const seed = await loadSeedWindows(o.ch, o.db, o.stream, o.fromMs);
  stages.seed(seed);
  o.log.info({ stream: o.stream, seedWindows: seed.length, from: new Date(o.fromMs).toISOString() }, 'anomaly baselines seeded from chart_windows before the range');

  const stats: AnomalyStats = { counted: 0, late: 0, skipped: 0, windows: 0, breaches: 0 };
  const writtenAt = Math.floor(Date.now() / 1000);
  let pending: ChartRows = { chart_windows: [], chart_points: [], anomalies: [] };
  let pendingWindows = 0;
  let chain = Promise.resolve();

  const write = (closed: ClosedWindow[], force: boolean): Promise<void> => {
    for (const w of closed) {
      if (w.start >= o.toMs) continue;
      const r = chartRows(w, { stream: o.stream, windowMs: o.anomaly.windowMs, writtenAt });
      for (const table of CHART_TABLES) pending[table].push(...r[table]);
      pendingWindows += 1;
      stats.windows += 1;
      stats.breaches += w.breaches.length;
    }
    if (pendingWindows === 0 || (!force && pendingWindows < FLUSH_WINDOWS)) return chain;
    const rows = pending;
    pending = { chart_windows: [], chart_points: [], anomalies: [] };
    pendingWindows = 0;
    // Not deduplicated: rows equal to a block written before the range was cleared must be written again.
    chain = chain.then(() => insertChartRows(o.ch, o.db, rows, { insert_deduplicate: 0 }));
    return chain;
  };

  return {
    async handle({ partition, messages }) {
      const horizon = Date.now() + FUTURE_TOLERANCE_MS;
      for (const m of messages) {
        let event: UploadEvent;
        try {
          event = (await o.decode(m.value)) as UploadEvent;
        } catch (err) {
          if (!(err instanceof UndecodableError)) throw err;
          stats.skipped += 1;
          continue;
        }
        const observed = observe(event);
        if (observed.tsMs < o.fromMs || observed.tsMs >= o.toMs || observed.tsMs > horizon) {
          stats.skipped += 1;
          continue;
        }
        if (stages.add(partition, observed, BigInt(m.offset))) stats.counted += 1;
        else stats.late += 1;
      }
      // Nothing to commit: an interrupted pass starts over.
      await write(stages.deliver(partition), false);
      return { stored: Promise.resolve() };
    },
    async finish() {
      await write(stages.flush(o.toMs), true);
      return stats;
    },
  };
}
