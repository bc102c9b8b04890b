import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import type { KafkaMessage } from 'kafkajs';
import { identifier } from '../../lib/sql';
import { curateBatch, type DlqReason } from '../curate/curate-batch';
import type { EventDecoder } from '../curate/decode-event';
import type { RangeBatch } from './range-reader';
import type { TopicKind } from './request';

/**
 * The storage target: each batch of the range becomes curated rows inserted straight into
 * `upload_events` (Distributed, synchronous: the rows are on their shards before the batch's offset
 * is committed). Raw Avro events go through the curate stage's own batch function (decoding,
 * validation, derived columns, duplicates within a batch); curated rows are inserted as they are.
 * Nothing goes to the DLQ topic (the live curate stage dead-lettered them already); dead letters
 * are counted by reason. The raw table is a ReplacingMergeTree by event_key, sharded by it, so a
 * row stored twice collapses; the rollup views count it again, which is why this target always
 * comes with the rollups rebuild (request.ts refuses it alone).
 */

export interface StorageStats {
  read: number;
  inserted: number;
  outsideRange: number;
  duplicates: number;
  dlq: Partial<Record<DlqReason, number>>;
}

export const emptyStorageStats = (): StorageStats => ({ read: 0, inserted: 0, outsideRange: 0, duplicates: 0, dlq: {} });

/** YYYYMM of an epoch-ms time, UTC: the raw table's partition (toYYYYMM(event_date)). */
export const monthOf = (ms: number): string => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
};

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Rows from concurrent batches gathered into few large inserts: `add` resolves once its rows are
 * stored. One insert at a time; a batch's rows go in the insert that starts after they arrive.
 */
export class InsertBuffer {
  private lines: string[] = [];
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly insert: (lines: string[]) => Promise<void>,
    private readonly maxRows: number,
    private readonly lingerMs: number,
  ) {}

  add(lines: string[]): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    for (const line of lines) this.lines.push(line);
    if (this.lines.length >= this.maxRows) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    return done;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const [lines, waiters] = [this.lines, this.waiters];
    [this.lines, this.waiters] = [[], []];
    if (lines.length === 0) return;
    this.chain = this.chain.then(() =>
      this.insert(lines).then(
        () => waiters.forEach((w) => w.resolve()),
        (err: unknown) => waiters.forEach((w) => w.reject(err instanceof Error ? err : new Error(String(err)))),
      ),
    );
  }
}

/** Inserts JSONEachRow lines into <db>.upload_events, synchronously to every shard. */
export function rawTableInsert(ch: ClickHouseClient, db: string): (lines: string[]) => Promise<void> {
  return async (lines) => {
    const result = await ch.exec({
      query: `INSERT INTO ${identifier(db)}.upload_events FORMAT JSONEachRow`,
      values: Readable.from([lines.join('\n')]),
      clickhouse_settings: { insert_distributed_sync: 1 },
    });
    // The answer to an INSERT is empty; reading it to the end returns the socket to the pool.
    for await (const chunk of result.stream) void chunk;
  };
}

export interface StorageHandlerOptions {
  kind: TopicKind;
  topic: string;
  /** Raw topics: the curate stage's decoder. */
  decode?: EventDecoder;
  /** Time ranges: only events whose event time is inside [fromMs, toMs). */
  timeRange?: { fromMs: number; toMs: number };
  buffer: InsertBuffer;
  stats: StorageStats;
  /** Called (and awaited) before a month's first rows are inserted, so the rollups step knows it even after a crash. */
  onNewMonth: (month: string) => void;
}

export function storageHandler(o: StorageHandlerOptions): (batch: RangeBatch) => Promise<{ stored: Promise<void> }> {
  const months = new Set<string>();

  /** Curated lines of the batch with their event times (ms), in two arrays: no object per row. */
  const rowsOf = async (partition: number, messages: KafkaMessage[]): Promise<{ lines: string[]; times: number[] }> => {
    const lines: string[] = [];
    const times: number[] = [];
    if (o.kind === 'curated') {
      // The curate stage stamps each row with its event time (ms): the row's own time, without parsing it.
      for (const m of messages) {
        if (m.value === null) continue;
        lines.push(m.value.toString('utf8'));
        times.push(Number(m.timestamp));
      }
      return { lines, times };
    }
    if (!o.decode) throw new Error('a raw topic needs the event decoder');
    const result = await curateBatch({ topic: o.topic, partition, messages, decode: o.decode, alreadyCurated: () => false, nowMs: Date.now() });
    o.stats.duplicates += result.stats.duplicates;
    for (const [reason, n] of Object.entries(result.stats.dlq) as [DlqReason, number][]) o.stats.dlq[reason] = (o.stats.dlq[reason] ?? 0) + n;
    for (const m of result.curated) {
      lines.push(m.value as string);
      times.push(Number(m.timestamp));
    }
    return { lines, times };
  };

  return async ({ partition, messages }) => {
    o.stats.read += messages.length;
    const { lines, times } = await rowsOf(partition, messages);
    const kept: string[] = [];
    let lastHour = Number.NaN;
    for (let i = 0; i < lines.length; i++) {
      const ms = times[i];
      if (o.timeRange && (ms < o.timeRange.fromMs || ms >= o.timeRange.toMs)) {
        o.stats.outsideRange += 1;
        continue;
      }
      const hour = ms - (ms % 3_600_000);
      if (hour !== lastHour) {
        // Rows come in time order: the month is worked out once an hour of event time, not per row.
        lastHour = hour;
        const month = monthOf(hour);
        if (!months.has(month)) {
          months.add(month);
          o.onNewMonth(month);
        }
      }
      kept.push(lines[i]);
    }
    const stored = o.buffer.add(kept).then(() => {
      o.stats.inserted += kept.length;
    });
    // Handled by the reader when it commits; not an unhandled rejection meanwhile.
    stored.catch(() => undefined);
    return { stored };
  };
}
