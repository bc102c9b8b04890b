import type http from 'node:http';
import type { ClickHouseClient } from '@clickhouse/client';
import type pino from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { z } from 'zod';
import { CHART_MAX_RANGE_S, CHART_MAX_RANGE_TEXT } from './chart-sql';
import { clickhouseProblem } from './clickhouse-problem';
import { LiveCursor } from './live-cursor';
import { readLive, type LiveRows, type LiveSubscription } from './live-read';
import { dimension, pageChart, stream, time } from './params';
import { openEventStream, sendComment, sendEvent } from './sse';

/**
 * `GET /v1/live`: server-sent events for the live page. Each stream polls ClickHouse every
 * `pollMs` for chart rows written since the newest it has seen and pushes only new ones:
 *   event `snapshot`: everything in range (first, and again after ClickHouse comes back);
 *   event `update`: new or rewritten points, breaches, anomalies and overview windows;
 *   event `status`: `{ ok: false, error }` while ClickHouse fails (the stream stays open and retries).
 * A client that goes away stops its stream; close() ends every stream (SIGTERM), so the server can
 * stop without waiting for browsers.
 */

export const liveParams = z.strictObject({ stream: stream.optional(), chart: pageChart.default('failure_rate'), dimension: dimension.optional(), from: time }).superRefine((p, ctx) => {
  if (p.from < Date.now() / 1000 - CHART_MAX_RANGE_S - 3600) ctx.addIssue({ code: 'custom', path: ['from'], message: `must be within the last ${CHART_MAX_RANGE_TEXT}` });
});

/** Rows written this long before the newest one seen are read again (same second, replica lag). */
export const LIVE_OVERLAP_S = 10;
/** While ClickHouse fails, a stream retries this often (each failure also logs in the client library). */
const RETRY_MS = 5000;
const HEARTBEAT_MS = 15_000;
const RECONNECT_MS = 2000;

export interface LiveFeedOptions { clickhouse: ClickHouseClient; database: string; pollMs: number; maxStreams: number; log: pino.Logger; metrics: Registry }

export class LiveFeed {
  private readonly streams = new Set<LiveStream>();
  private readonly gauge: Gauge;
  private closed = false;

  constructor(private readonly options: LiveFeedOptions) {
    this.gauge = new Gauge({ name: 'upload_pulse_api_live_streams', help: 'Open live-page event streams', registers: [options.metrics] });
  }

  get openStreams(): number {
    return this.streams.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Streams to `res` until the client leaves or the feed closes; false (nothing written) when at capacity. */
  serve(sub: LiveSubscription, res: http.ServerResponse): boolean {
    if (this.closed || this.streams.size >= this.options.maxStreams) return false;
    const stream = new LiveStream(this.options, sub, res, () => {
      this.streams.delete(stream);
      this.gauge.set(this.streams.size);
    });
    this.streams.add(stream);
    this.gauge.set(this.streams.size);
    stream.start();
    return true;
  }

  /** Ends every stream and refuses new ones (shutdown); resolves once no read is in flight, so the ClickHouse client may close. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.streams].map((stream) => stream.stop()));
  }
}

const isEmpty = (rows: LiveRows): boolean => Object.values(rows).every((list: unknown[]) => list.length === 0);

class LiveStream {
  private cursor = new LiveCursor(LIVE_OVERLAP_S);
  private snapshotDue = true;
  /** Reads failed in a row; the first is retried quietly (ClickHouse drops a keep-alive connection now and then). */
  private failures = 0;
  private failing = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  /** The current read; poll() never rejects. */
  private reading: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: LiveFeedOptions,
    private readonly sub: LiveSubscription,
    private readonly res: http.ServerResponse,
    private readonly onStop: () => void,
  ) {}

  start(): void {
    openEventStream(this.res, RECONNECT_MS);
    this.res.on('close', () => void this.stop());
    this.heartbeat = setInterval(() => sendComment(this.res, 'ping'), HEARTBEAT_MS);
    this.reading = this.poll();
  }

  /** Ends the stream at once; resolves when its read in flight, if any, has settled. */
  stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      clearTimeout(this.timer);
      clearInterval(this.heartbeat);
      if (!this.res.writableEnded) this.res.end();
      this.onStop();
    }
    return this.reading;
  }

  private async poll(): Promise<void> {
    const { clickhouse, database, log } = this.options;
    let delay = this.options.pollMs;
    try {
      const rows = await readLive(clickhouse, database, this.sub, this.cursor.since);
      if (this.stopped) return;
      this.failures = 0;
      const fresh = this.fresh(rows);
      if (this.snapshotDue) {
        sendEvent(this.res, 'snapshot', { ...this.sub, ...fresh, now: Math.floor(Date.now() / 1000) });
        this.snapshotDue = false;
        if (this.failing) log.info({ stream: this.sub.stream }, 'live stream: ClickHouse answers again');
        this.failing = false;
      } else if (!isEmpty(fresh)) {
        sendEvent(this.res, 'update', { ...fresh, now: Math.floor(Date.now() / 1000) });
      }
    } catch (err) {
      if (this.stopped) return;
      this.failures += 1;
      // A single failure is retried at the next poll, from the same cursor (nothing lost); the second in a row is reported.
      if (this.failures >= 2) this.fail(err);
      delay = this.failures >= 2 ? RETRY_MS : this.options.pollMs;
    }
    if (!this.stopped) this.timer = setTimeout(() => (this.reading = this.poll()), delay);
  }

  private fail(err: unknown): void {
    if (!this.failing) this.options.log.warn({ err, stream: this.sub.stream }, 'live stream: ClickHouse read failed; retrying');
    this.failing = true;
    // Start over once ClickHouse is back: a fresh snapshot covers whatever was missed meanwhile.
    this.cursor = new LiveCursor(LIVE_OVERLAP_S);
    this.snapshotDue = true;
    sendEvent(this.res, 'status', { ok: false, stream: this.sub.stream, error: clickhouseProblem(err), retryInMs: RETRY_MS });
  }

  private fresh(rows: LiveRows): LiveRows {
    const c = this.cursor;
    const fresh: LiveRows = {
      points: c.fresh(rows.points, (p) => `point|${p.t}`, (p) => p.written),
      breaches: c.fresh(rows.breaches, (a) => `breach|${a.id}`, (a) => a.detected),
      anomalies: c.fresh(rows.anomalies, (a) => `anomaly|${a.id}`, (a) => a.detected),
      windows: c.fresh(rows.windows, (w) => `window|${w.t}`, (w) => w.written),
    };
    c.prune();
    return fresh;
  }
}
