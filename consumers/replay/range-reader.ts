import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import type pino from 'pino';
import type { PartitionRange } from './range';
import { RefusalError } from './request';

/**
 * Reads offset ranges of a topic with the replay's own consumer group, so live consumers (curate,
 * anomaly worker, ClickHouse's Kafka engine) are untouched. The group is positioned before it
 * joins: at each range's start, or, when resuming, at the offsets it committed. A partition outside
 * the ranges, or one that reached its end, is paused. Each batch is handed over only below the
 * range's end; with `commit`, the offset after it is committed once the handler resolved, so an
 * interrupted pass resumes after the last batch it finished.
 */

export interface RangeBatch {
  partition: number;
  messages: KafkaMessage[];
}

export interface ReadRangeOptions {
  kafka: Kafka;
  admin: Admin;
  topic: string;
  group: string;
  ranges: PartitionRange[];
  /** Where each partition starts (positionGroup). */
  positions: Map<number, bigint>;
  commit: boolean;
  handle: (batch: RangeBatch) => Promise<void>;
  /** Offsets passed, batch by batch (handed over, skipped, or transaction markers). */
  onRead?: (offsets: number) => void;
  signal: AbortSignal;
  log: pino.Logger;
}

const SESSION_TIMEOUT_MS = 30_000;

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Moves the group to where the pass starts; returns each partition's start. The group must have no members. */
export async function positionGroup(admin: Admin, topic: string, group: string, ranges: PartitionRange[], resume: boolean): Promise<Map<number, bigint>> {
  const { groups } = await admin.describeGroups([group]);
  if (groups[0] && groups[0].members.length > 0) throw new RefusalError(`consumer group ${group} has ${groups[0].members.length} member(s): this replay is running elsewhere; stop it first`);
  const committed = new Map<number, bigint>();
  if (resume) {
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    for (const p of offsets?.partitions ?? []) if (BigInt(p.offset) >= 0n) committed.set(p.partition, BigInt(p.offset));
  }
  const positions = new Map<number, bigint>();
  for (const r of ranges) {
    const at = committed.get(r.partition);
    positions.set(r.partition, at !== undefined && at >= r.start && at <= r.end ? at : r.start);
  }
  await admin.setOffsets({ groupId: group, topic, partitions: ranges.map((r) => ({ partition: r.partition, offset: (positions.get(r.partition) as bigint).toString() })) });
  return positions;
}

/** Reads until every range is done (true) or `signal` aborts (false); a handler failure rejects. */
export async function readRange(o: ReadRangeOptions): Promise<boolean> {
  const { topic } = o;
  const end = new Map(o.ranges.map((r) => [r.partition, r.end]));
  const position = new Map(o.positions);
  const pending = new Set(o.ranges.filter((r) => (position.get(r.partition) as bigint) < r.end).map((r) => r.partition));
  if (pending.size === 0) return true;

  const consumer = o.kafka.consumer({ groupId: o.group, sessionTimeout: SESSION_TIMEOUT_MS, heartbeatInterval: 3000, maxWaitTimeInMs: 500, allowAutoTopicCreation: false });
  let settle: (result: boolean | Error) => void = () => undefined;
  const finished = new Promise<boolean | Error>((resolve) => (settle = resolve));
  const onAbort = () => settle(false);
  o.signal.addEventListener('abort', onAbort);

  /** Records that the partition was read up to `next`; pauses it at its end. */
  const advance = (partition: number, next: bigint) => {
    const limit = end.get(partition) as bigint;
    const to = next < limit ? next : limit;
    const from = position.get(partition) as bigint;
    if (to > from) {
      position.set(partition, to);
      o.onRead?.(Number(to - from));
    }
    if (to >= limit && pending.delete(partition)) {
      consumer.pause([{ topic, partitions: [partition] }]);
      if (pending.size === 0) settle(true);
    }
  };

  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    // Batches of only transaction markers or aborted records never reach eachBatch.
    if (payload.batchSize === 0 && end.has(payload.partition) && payload.lastOffset !== null) advance(payload.partition, BigInt(payload.lastOffset) + 1n);
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => settle(new Error(`reading ${topic} with group ${o.group} failed: ${messageOf(payload.error)}`)));

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.min(o.ranges.length, 16),
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const limit = end.get(batch.partition);
        if (limit === undefined || !pending.has(batch.partition)) {
          consumer.pause([{ topic, partitions: [batch.partition] }]);
          return;
        }
        if (o.signal.aborted || !isRunning() || isStale()) return;
        try {
          const messages = batch.messages.filter((m) => BigInt(m.offset) < limit);
          if (messages.length > 0) await o.handle({ partition: batch.partition, messages });
          const next = BigInt(batch.lastOffset()) + 1n;
          const committed = next < limit ? next : limit;
          if (o.commit) await consumer.commitOffsets([{ topic, partition: batch.partition, offset: committed.toString() }]);
          resolveOffset(batch.lastOffset());
          advance(batch.partition, next);
          await heartbeat();
        } catch (err) {
          settle(err instanceof Error ? err : new Error(messageOf(err)));
        }
      },
    });
    // Partitions outside the ranges, or done already, are never fetched.
    const idle = (await o.admin.fetchTopicOffsets(topic)).map((p) => p.partition).filter((p) => !pending.has(p));
    if (idle.length > 0) consumer.pause([{ topic, partitions: idle }]);
    const result = await finished;
    if (result instanceof Error) throw result;
    return result;
  } finally {
    o.signal.removeEventListener('abort', onAbort);
    // Waits for a batch in hand: its rows are written and its offset committed before the pass ends.
    await consumer.disconnect();
  }
}
