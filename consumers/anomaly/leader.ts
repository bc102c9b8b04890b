import { setImmediate } from 'node:timers/promises';
import { backOff } from 'exponential-backoff';
import type { Consumer, EachBatchPayload } from 'kafkajs';
import type pino from 'pino';
import type { ChartOutputs } from './chart-outputs';
import type { DimensionWindow } from './dimension-charts';
import { GlobalMonitor, type ClosedWindow, type GlobalMonitorOptions } from './global-monitor';
import type { AnomalyMetrics } from './metrics';
import { decodePartial } from './partials';

const SEED_SLICE = 2000;
// A window whose partitions are all current closes within seconds; a minute means one is stuck or far
// behind. Said at most once a minute: a catch-up has many windows waiting at once.
const WAIT_WARN_MS = 60_000;

/**
 * The leader's loop over the partials topic. The topic has one partition and the leadership group
 * consumes it, so holding partition 0 is being the leader (lib/leadership.ts) and the committed
 * offset is where a successor resumes: the first partial of a window not yet charted, with the
 * charted horizon in the commit metadata. A successor re-reads the partials of windows still open
 * and skips the charted ones; it rebuilds its baselines from the windows written to ClickHouse.
 *
 * Outputs are written before the offset moves past them, retried until they succeed or leadership
 * ends: a closed window is never dropped for a passing ClickHouse or broker failure.
 */

export interface LeaderLoopOptions {
  monitor: GlobalMonitorOptions;
  outputs: ChartOutputs;
  metrics: AnomalyMetrics;
  log: pino.Logger;
  /** Where the predecessor stopped: what the group committed and what it had charted. */
  resume: { closedUntil?: number };
  seed: (untilMs: number) => Promise<DimensionWindow[]>;
  /** False once leadership is lost: retries stop and the batch fails (kafkajs re-delivers it to whoever leads next). */
  stillLeader: () => boolean;
}

export interface LeaderLoop {
  handle(payload: EachBatchPayload, consumer: Consumer): Promise<void>;
  monitor: GlobalMonitor;
}

export const parseLeaderMetadata = (metadata: string | null | undefined): { closedUntil?: number } => {
  try {
    const parsed = JSON.parse(metadata ?? '{}') as { closedUntil?: unknown };
    return typeof parsed.closedUntil === 'number' ? { closedUntil: parsed.closedUntil } : {};
  } catch {
    return {};
  }
};

export function createLeaderLoop(o: LeaderLoopOptions): LeaderLoop {
  const monitor = new GlobalMonitor({ ...o.monitor, ...(o.resume.closedUntil !== undefined ? { closedUntil: o.resume.closedUntil } : {}) });
  // Offset of the first partial of each window still pending: the commit may not pass it.
  const firstOffset = new Map<number, bigint>();
  let seeded = false;
  let warnedAt = Number.NEGATIVE_INFINITY;

  const write = (w: ClosedWindow) =>
    backOff(() => o.outputs.write(w), {
      numOfAttempts: Number.MAX_SAFE_INTEGER,
      startingDelay: 200,
      maxDelay: 10_000,
      retry: (err: unknown) => {
        o.metrics.outputErrors.inc({ target: 'window' });
        o.log.warn({ err, window: new Date(w.start).toISOString() }, 'writing chart outputs failed; retrying');
        return o.stillLeader();
      },
    });

  return {
    monitor,
    async handle({ batch, heartbeat }, consumer) {
      if (!seeded && o.resume.closedUntil !== undefined) {
        const windows = await o.seed(o.resume.closedUntil);
        // In slices: two weeks of windows take seconds to chart, and the event loop is shared.
        for (let i = 0; i < windows.length; i += SEED_SLICE) {
          monitor.seed(windows.slice(i, i + SEED_SLICE));
          await setImmediate();
        }
        o.log.info({ windows: windows.length, until: new Date(o.resume.closedUntil).toISOString() }, 'baselines rebuilt from chart_windows');
      }
      seeded = true;
      for (const message of batch.messages) {
        const offset = BigInt(message.offset);
        if (!message.value) continue;
        const partial = decodePartial(message.value);
        if (partial.kind === 'window' && partial.start >= monitor.closedUntil && !firstOffset.has(partial.start)) firstOffset.set(partial.start, offset);
        // When the owner sent it, not when it is read here: a successor re-reading the topic must
        // judge idle notices against the same instants as the leader that read it live.
        for (const closed of monitor.accept(partial, Number(message.timestamp))) {
          await write(closed);
          firstOffset.delete(closed.start);
          o.metrics.window(closed.start + o.monitor.windowMs, closed.points, closed.breaches, closed.sellersTested, closed.top);
          if (closed.breaches.length > 0) o.log.info({ window: new Date(closed.start).toISOString(), breaches: closed.breaches.length, pages: closed.breaches.filter((b) => b.severity === 'page').length }, 'window charted with breaches');
        }
        await heartbeat();
        // Charting a window is CPU work; a catch-up would otherwise hold the thread for a whole batch.
        await setImmediate();
      }
      const now = Date.now();
      const waiting = monitor.oldestWaiting(now);
      if (waiting && waiting.waitedMs >= WAIT_WARN_MS && now - warnedAt >= WAIT_WARN_MS) {
        warnedAt = now;
        o.log.warn({ window: new Date(waiting.start).toISOString(), waitedS: Math.round(waiting.waitedMs / 1000), partitions: waiting.partitions, pendingWindows: monitor.pendingStarts().length, forcedCloses: monitor.forcedCloses, latePartials: monitor.latePartials }, 'global window waiting for raw partitions that have not reported past it: their owners are stuck or far behind');
      }
      const next = BigInt(batch.lastOffset()) + 1n;
      const pending = monitor.pendingStarts().map((s) => firstOffset.get(s) ?? next);
      const commit = pending.reduce((a, b) => (b < a ? b : a), next);
      const metadata = Number.isFinite(monitor.closedUntil) ? JSON.stringify({ closedUntil: monitor.closedUntil }) : null;
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: commit.toString(), metadata }]);
    },
  };
}
