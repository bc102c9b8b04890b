import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import type pino from 'pino';
import type { PartitionRange } from './range';
import { RefusalError } from './request';

/**
 * Reads offset ranges of a topic with the replay's own consumer group, so live consumers (curate,
 * anomaly worker, ClickHouse's Kafka engine) are untouched. The consumer seeks each partition to
 * where the pass starts (startPositions): the range's start, or the group's committed offset when
 * resuming. A partition outside
 * the ranges, or one that reached its end, is paused. Each batch is handed over only below the
 * range's end; with `commit`, the offset after it is committed once the handler says it is stored,
 * so an interrupted pass resumes after the last batch stored. While one batch of a partition is
 * being stored, the next one is prepared (a batch's storage waits for the previous one's commit).
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
  /** Where each partition starts (startPositions). */
  positions: Map<number, bigint>;
  commit: boolean;
  /** Resolves once the batch is taken (decoded, queued); `stored` once it is durable, when its offset may be committed. */
  handle: (batch: RangeBatch) => Promise<{ stored: Promise<void> }>;
  /** Offsets passed, batch by batch (handed over, skipped, or transaction markers). */
  onRead?: (offsets: number) => void;
  signal: AbortSignal;
  /** Bytes fetched per partition and request: the size of a batch, so of what an interruption leaves in hand. */
  fetchBytes: number;
  log: pino.Logger;
}

const SESSION_TIMEOUT_MS = 30_000;

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Where each partition's pass starts: the range's start, or, when resuming, the offset the group
 * committed (if inside the range). The consumer seeks there itself: moving a group's offsets from
 * outside (admin.setOffsets) makes kafkajs join the group once more, seconds per pass.
 */
export async function startPositions(admin: Admin, topic: string, group: string, ranges: PartitionRange[], resume: boolean): Promise<Map<number, bigint>> {
  const { groups } = await admin.describeGroups([group]);
  if (groups[0] && groups[0].members.length > 0) throw new RefusalError(`consumer group ${group} has ${groups[0].members.length} member(s): this replay is running elsewhere; stop it first`);
  const committed = new Map<number, bigint>();
  if (resume) {
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    for (const p of offsets?.partitions ?? []) if (BigInt(p.offset) >= 0n) committed.set(p.partition, BigInt(p.offset));
  }
  return new Map(
    ranges.map((r) => {
      const at = committed.get(r.partition);
      return [r.partition, at !== undefined && at >= r.start && at <= r.end ? at : r.start];
    }),
  );
}

/** Reads until every range is done (true) or `signal` aborts (false); a handler failure rejects. */
export async function readRange(o: ReadRangeOptions): Promise<boolean> {
  const { topic } = o;
  const end = new Map(o.ranges.map((r) => [r.partition, r.end]));
  const position = new Map(o.positions);
  const pending = new Set(o.ranges.filter((r) => (position.get(r.partition) as bigint) < r.end).map((r) => r.partition));
  if (pending.size === 0) return true;

  const consumer = o.kafka.consumer({ groupId: o.group, sessionTimeout: SESSION_TIMEOUT_MS, heartbeatInterval: 3000, maxWaitTimeInMs: 500, maxBytesPerPartition: o.fetchBytes, allowAutoTopicCreation: false });
  // Batches handed over and not yet stored (and committed): the pass ends only after they are.
  const inHand = new Set<Promise<void>>();
  const unstored = new Map<number, Promise<void>>();
  let resolveFinished: (result: boolean | Error) => void = () => undefined;
  const finished = new Promise<boolean | Error>((resolve) => (resolveFinished = resolve));
  // The first failure wins, even one that comes after the last partition was read (a batch still storing).
  let failure: Error | undefined;
  const settle = (result: boolean | Error) => {
    if (result instanceof Error) failure ??= result;
    resolveFinished(result);
  };
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
        const { partition } = batch;
        try {
          const messages = batch.messages.filter((m) => BigInt(m.offset) < limit);
          const accepted = messages.length > 0 ? await o.handle({ partition, messages }) : undefined;
          // One batch per partition waits for storage while the next one is prepared; commits stay in order.
          await unstored.get(partition);
          const next = BigInt(batch.lastOffset()) + 1n;
          const committed = next < limit ? next : limit;
          const done = (accepted?.stored ?? Promise.resolve()).then(async () => {
            if (o.commit) await consumer.commitOffsets([{ topic, partition, offset: committed.toString() }]);
            advance(partition, next);
          });
          unstored.set(partition, done);
          inHand.add(done);
          done.catch((err: unknown) => settle(err instanceof Error ? err : new Error(messageOf(err)))).finally(() => inHand.delete(done));
          resolveOffset(batch.lastOffset());
          await heartbeat();
        } catch (err) {
          settle(err instanceof Error ? err : new Error(messageOf(err)));
        }
      },
    });
    // Applied when the partitions are assigned (kafkajs keeps seeks made before that).
    for (const p of pending) consumer.seek({ topic, partition: p, offset: (position.get(p) as bigint).toString() });
    // Partitions outside the ranges, or done already, are never fetched.
    const idle = (await o.admin.fetchTopicOffsets(topic)).map((p) => p.partition).filter((p) => !pending.has(p));
    if (idle.length > 0) consumer.pause([{ topic, partitions: idle }]);
    const result = await finished;
    // Batches in hand finish while the consumer still runs, so their offsets commit in its generation.
    await Promise.allSettled([...inHand]);
    if (failure) throw failure;
    return result === true;
  } finally {
    o.signal.removeEventListener('abort', onAbort);
    await Promise.allSettled([...inHand]);
    await consumer.disconnect();
  }
}
