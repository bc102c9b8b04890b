import type { Message } from 'kafkajs';
import { curate, curatedRow } from '../../schemas/curated-event';
import { validateEvent } from '../../schemas/validate-event';
import { UNDECODABLE_REASONS, UndecodableError, type EventDecoder } from './decode-event';

/**
 * One consumed batch of one raw partition in, what its transaction writes out: curated rows,
 * dead letters, and the keys to remember once it commits. No I/O of its own (decoding goes through
 * the given decoder) and no state: the caller commits the dedup keys only if the transaction does,
 * so an aborted batch leaves the window as it was.
 */

export const DLQ_REASONS = [...UNDECODABLE_REASONS, 'invalid-event'] as const;
export type DlqReason = (typeof DLQ_REASONS)[number];

/** Headers of a dead letter; its key and value are the original message's, byte for byte. */
export const DLQ_HEADERS = {
  reason: 'dlq-reason',
  detail: 'dlq-detail',
  sourceTopic: 'dlq-source-topic',
  partition: 'dlq-partition',
  offset: 'dlq-offset',
  sourceTimestamp: 'dlq-source-timestamp',
} as const;

const DETAIL_MAX_CHARS = 2000;
// A batch is tens of milliseconds of CPU per thousand events, and decoding resolves at once (the
// schema is cached): without yielding, heartbeats and ZooKeeper pings would wait for all of it.
const YIELD_EVERY = 500;
const NS_PER_MS = 1_000_000n;

export interface SourceMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
}

export interface BatchInput {
  topic: string;
  partition: number;
  messages: SourceMessage[];
  decode: EventDecoder;
  /** Whether an event key was curated earlier within the dedup window. */
  alreadyCurated: (key: bigint) => boolean;
  /** Wall clock for the future-skew check. */
  nowMs: number;
}

export interface BatchStats {
  consumed: number;
  curated: number;
  duplicates: number;
  dlq: Partial<Record<DlqReason, number>>;
}

export interface BatchResult {
  curated: Message[];
  dlq: Message[];
  /** Keys curated by this batch, for the dedup window once the transaction commits. */
  curatedKeys: bigint[];
  stats: BatchStats;
}

export async function curateBatch(input: BatchInput): Promise<BatchResult> {
  const { topic, partition, decode, alreadyCurated } = input;
  const nowNs = BigInt(input.nowMs) * NS_PER_MS;
  const result: BatchResult = { curated: [], dlq: [], curatedKeys: [], stats: { consumed: 0, curated: 0, duplicates: 0, dlq: {} } };
  const inBatch = new Set<bigint>();

  const deadLetter = (m: SourceMessage, reason: DlqReason, detail: string): void => {
    result.stats.dlq[reason] = (result.stats.dlq[reason] ?? 0) + 1;
    result.dlq.push({
      key: m.key,
      value: m.value,
      headers: {
        [DLQ_HEADERS.reason]: reason,
        [DLQ_HEADERS.detail]: detail.length > DETAIL_MAX_CHARS ? `${detail.slice(0, DETAIL_MAX_CHARS)}…` : detail,
        [DLQ_HEADERS.sourceTopic]: topic,
        [DLQ_HEADERS.partition]: String(partition),
        [DLQ_HEADERS.offset]: m.offset,
        [DLQ_HEADERS.sourceTimestamp]: m.timestamp,
      },
    });
  };

  for (const m of input.messages) {
    if (++result.stats.consumed % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    let decoded: unknown;
    try {
      decoded = await decode(m.value);
    } catch (err) {
      if (!(err instanceof UndecodableError)) throw err;
      deadLetter(m, err.reason, err.message);
      continue;
    }
    const checked = validateEvent(decoded, nowNs);
    if (!checked.ok) {
      deadLetter(m, 'invalid-event', checked.errors.map((e) => `${e.field}: ${e.message}`).join('; '));
      continue;
    }
    const row = curate(checked.event);
    if (inBatch.has(row.event_key) || alreadyCurated(row.event_key)) {
      result.stats.duplicates += 1;
      continue;
    }
    inBatch.add(row.event_key);
    result.curatedKeys.push(row.event_key);
    // Same key as the raw topic (the seller), and Kafka timestamps stay event times.
    result.curated.push({ key: row.seller_id.toString(), value: curatedRow(row), timestamp: (row.ts / NS_PER_MS).toString() });
    result.stats.curated += 1;
  }
  return result;
}
