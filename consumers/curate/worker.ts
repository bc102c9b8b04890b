import os from 'node:os';
import { CompressionTypes, KafkaJSProtocolError, Partitioners, type EachBatchPayload, type Kafka, type Producer } from 'kafkajs';
import type pino from 'pino';
import type { Registry } from 'prom-client';
import type { ServiceConfig } from '../../lib/config';
import { createKafka } from '../../lib/kafka';
import { registerService } from '../../lib/service-registry';
import { createSchemaRegistry } from '../../producers/schema-registry';
import { curateBatch } from './curate-batch';
import { createEventDecoder } from './decode-event';
import { DedupWindow } from './dedup-window';
import { chunkBySize } from '../../lib/request-chunks';
import { serveMetrics } from '../../lib/metrics-server';
import { subscribeWhenKnown } from '../../lib/topics';
import { curateMetrics } from './metrics';
import { ensureCurateTopics } from './topics';

/**
 * The curate worker: a consumer-group member that turns raw Avro upload events into curated
 * JSONEachRow rows, exactly once (see README.md next to this file).
 *
 * Each consumed batch (one raw partition) becomes one Kafka transaction holding its curated rows,
 * its dead letters and the group offset after it. Each raw partition has its own transactional
 * producer whose id is derived from the partition, not the instance: whoever owns the partition
 * next initialises the same id, which fences the previous owner (alive or not) and completes or
 * aborts its open transaction before the new owner reads the committed offset.
 */

export interface CurateWorkerOptions {
  /** Names this instance in logs and Kafka client ids; default host-pid. */
  instanceId?: string;
}

export interface CurateWorker {
  /** Stops consuming, lets the batch in hand commit, leaves the group, deregisters. */
  stop(): Promise<void>;
  /** Where /metrics is served (the bound port when the config asked for 0). */
  metricsUrl: string;
  metrics: Registry;
  /** Raw partitions this instance owns now. */
  assignedPartitions(): number[];
}

// How long the group waits for a silent (killed) member before moving its partitions.
const SESSION_TIMEOUT_MS = 10_000;
// Raw bytes fetched per partition, so per transaction: ~6,000 typical events, ~150 ms of CPU.
const MAX_BATCH_BYTES = 256 * 1024;
// Under the broker's default 1 MiB record-batch limit with room for per-record overhead.
const MAX_REQUEST_BYTES = 768 * 1024;
// Longer than any batch takes; a transaction left open by a dead worker holds back read_committed
// readers until the partition's next owner aborts it, or at worst this long.
const TRANSACTION_TIMEOUT_MS = 30_000;

interface Lane {
  producer: Producer;
  /** First raw offset this lane has not curated: the committed offset, then where each commit left it. */
  nextOffset: bigint | undefined;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * The broker answers CONCURRENT_TRANSACTIONS while the previous transaction's markers are still
 * being written (its commit returned before that). kafkajs retries it for AddPartitionsToTxn but
 * not for AddOffsetsToTxn (sendOffsets), so a batch right after a commit would fail for nothing.
 */
async function whileConcurrentTransaction<T>(attempt: () => Promise<T>, retries = 8): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (n >= retries || !(err instanceof KafkaJSProtocolError && err.type === 'CONCURRENT_TRANSACTIONS')) throw err;
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** n));
    }
  }
}

export async function startCurateWorker(config: ServiceConfig, parentLog: pino.Logger, opts: CurateWorkerOptions = {}): Promise<CurateWorker> {
  const instanceId = opts.instanceId ?? `${os.hostname()}-${process.pid}`;
  const log = parentLog.child({ instance: instanceId });
  const raw = config.topics.uploadEvents;
  const group = config.curate.group;
  const kafka: Kafka = createKafka(`upload-pulse-curate-${instanceId}`, config.kafkaBrokers, log);
  const admin = kafka.admin();
  const registry = createSchemaRegistry(config.schemaRegistryUrl);
  const decode = createEventDecoder((id) => registry.getSchema(id));

  const lanes = new Map<number, Lane>();
  const windows = new Map<number, DedupWindow>();
  let assigned: number[] = [];
  const metrics = curateMetrics(() => [...windows.values()].reduce((n, w) => n + w.size, 0));

  // Undone in reverse on stop, or when start fails half-way. Every step runs even if one fails.
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    const failures: string[] = [];
    for (const close of closers.splice(0).reverse()) await close().catch((err: unknown) => failures.push(messageOf(err)));
    if (failures.length > 0) throw new Error(`stopping the curate worker: ${failures.join('; ')}`);
  };

  const windowFor = (partition: number): DedupWindow => {
    let w = windows.get(partition);
    if (!w) windows.set(partition, (w = new DedupWindow(config.curate.dedupWindowMs, config.curate.dedupMaxKeys)));
    return w;
  };

  const committedOffset = async (partition: number): Promise<bigint | undefined> => {
    const [topic] = await admin.fetchOffsets({ groupId: group, topics: [raw] });
    const offset = topic?.partitions.find((p) => p.partition === partition)?.offset;
    return offset === undefined || BigInt(offset) < 0n ? undefined : BigInt(offset);
  };

  const closeLane = async (partition: number): Promise<void> => {
    const lane = lanes.get(partition);
    if (!lane) return;
    lanes.delete(partition);
    await lane.producer.disconnect().catch((err: unknown) => log.warn({ err, partition }, 'disconnecting a partition producer failed'));
  };

  const openLane = async (partition: number): Promise<Lane> => {
    const producer = kafka.producer({
      transactionalId: `${group}.${raw}.${partition}`,
      idempotent: true,
      // kafkajs needs one request in flight per broker for idempotent, ordered sends.
      maxInFlightRequests: 1,
      transactionTimeout: TRANSACTION_TIMEOUT_MS,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    try {
      await producer.connect();
      // kafkajs has no initTransactions(): the transactional id is initialised by the first
      // transaction(). An empty one does it now, before the offset is read: InitProducerId fences
      // the previous owner and waits until its open transaction is committed or aborted.
      await (await producer.transaction()).commit();
      return { producer, nextOffset: await committedOffset(partition) };
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw new Error(`cannot take over ${raw}[${partition}] for transactions: ${messageOf(err)}`, { cause: err });
    }
  };

  /** The partition's lane, checked against where the consumer is about to read from. */
  const laneFor = async (partition: number, firstOffset: bigint): Promise<Lane> => {
    const known = lanes.get(partition);
    if (known?.nextOffset !== undefined && firstOffset > known.nextOffset) {
      // The consumer is past what this lane committed: another member owned the partition meanwhile
      // (this one lost its membership unnoticed). Start over from the group's committed offset.
      log.warn({ partition, laneOffset: known.nextOffset.toString(), firstOffset: firstOffset.toString() }, 'partition was owned elsewhere meanwhile; taking it over again');
      await closeLane(partition);
    }
    const existing = lanes.get(partition);
    if (existing) return existing;
    const lane = await openLane(partition);
    lanes.set(partition, lane);
    if (lane.nextOffset !== undefined && firstOffset > lane.nextOffset) {
      log.warn({ partition, committed: lane.nextOffset.toString(), firstOffset: firstOffset.toString() }, 'committed offset is below the start of the log: the records in between were deleted by retention');
    }
    log.info({ partition, committed: lane.nextOffset?.toString() ?? 'none' }, 'transactional producer ready for partition');
    return lane;
  };

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning }: EachBatchPayload): Promise<void> => {
    const first = batch.firstOffset();
    // Stopping: a batch not yet started is left to the partition's next owner.
    if (!isRunning() || first === null || batch.isEmpty()) return;
    const { partition } = batch;
    const endTimer = metrics.batchSeconds.startTimer();
    const lane = await laneFor(partition, BigInt(first));
    const last = BigInt(batch.lastOffset());
    // Anything below the lane's offset is already curated: an offset fetch right after a rebalance
    // can lag the last commit (kafkajs cannot ask for stable offsets, KIP-447).
    const from = lane.nextOffset ?? BigInt(first);
    const messages = batch.messages.filter((m) => BigInt(m.offset) >= from);
    if (messages.length === 0) {
      resolveOffset(batch.lastOffset());
      return;
    }

    const nowMs = Date.now();
    const window = windowFor(partition);
    const result = await curateBatch({ topic: raw, partition, messages, decode, alreadyCurated: (key) => window.has(key, nowMs), nowMs });
    // kafkajs heartbeats between batches; concurrent partitions' batches can add up to seconds of
    // CPU. Before the transaction, so a rebalance it reports costs the work but aborts nothing.
    await heartbeat();
    const requests = [
      ...chunkBySize(result.curated, MAX_REQUEST_BYTES).map((messages) => ({ topic: config.topics.curated, messages })),
      ...chunkBySize(result.dlq, MAX_REQUEST_BYTES).map((messages) => ({ topic: config.topics.dlq, messages })),
    ];

    const txn = await lane.producer.transaction();
    try {
      const compression = config.producer.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
      for (const request of requests) await txn.send({ ...request, acks: -1, timeout: config.producer.sendTimeoutMs, compression });
      log.debug({ partition, from: messages[0].offset, to: last.toString(), curated: result.curated.length, dlq: result.dlq.length }, 'transaction open: records written, sending offsets');
      const offsets = { consumerGroupId: group, topics: [{ topic: raw, partitions: [{ partition, offset: (last + 1n).toString() }] }] };
      await whileConcurrentTransaction(() => txn.sendOffsets(offsets));
      await txn.commit();
    } catch (err) {
      metrics.transactions.inc({ result: 'aborted' });
      if (txn.isActive()) await txn.abort().catch((abortErr: unknown) => log.warn({ err: abortErr, partition }, 'abort failed; the next initialisation of the transactional id aborts it'));
      // A failed commit leaves the kafkajs producer unusable and its outcome unknown: the next try
      // initialises the transactional id again, which settles it, and re-reads the committed offset.
      await closeLane(partition);
      throw new Error(`curating ${raw}[${partition}] offsets ${messages[0].offset}-${last} failed, the batch will be retried: ${messageOf(err)}`, { cause: err });
    }

    lane.nextOffset = last + 1n;
    resolveOffset(batch.lastOffset());
    // Remembered only now: keys of an aborted transaction must not make its retry drop them.
    const evictedBefore = window.evictedForCapacity;
    for (const key of result.curatedKeys) window.add(key, nowMs);
    window.evict(nowMs);
    metrics.dedupEvicted.inc(window.evictedForCapacity - evictedBefore);
    metrics.transactions.inc({ result: 'committed' });
    metrics.consumed.inc(result.stats.consumed);
    metrics.curated.inc(result.stats.curated);
    metrics.duplicates.inc(result.stats.duplicates);
    for (const [reason, n] of Object.entries(result.stats.dlq)) metrics.dlq.inc({ reason }, n);
    if (result.dlq.length > 0) log.info({ partition, dlq: result.stats.dlq }, 'dead-lettered messages');
    endTimer();
  };

  try {
    await admin.connect();
    closers.push(() => admin.disconnect());
    const rawPartitions = await ensureCurateTopics(admin, config, log);

    const http = await serveMetrics(metrics.registry, config.host, config.curate.metricsPort);
    closers.push(() => new Promise<void>((resolve) => http.server.close(() => resolve())));

    const consumer = kafka.consumer({
      groupId: group,
      sessionTimeout: SESSION_TIMEOUT_MS,
      maxBytesPerPartition: MAX_BATCH_BYTES,
      minBytes: config.curate.fetch.minBytes,
      // Short fetch waits also keep stopping quick: it waits for the fetch in flight.
      maxWaitTimeInMs: config.curate.fetch.maxWaitMs,
      allowAutoTopicCreation: false,
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      assigned = [...(payload.memberAssignment[raw] ?? [])].sort((a, b) => a - b);
      metrics.assigned.set(assigned.length);
      // Revoked partitions: their producer goes (the new owner fences the id anyway) and so does
      // their dedup state; ClickHouse's ReplacingMergeTree on event_key catches what slips through.
      for (const p of [...lanes.keys()]) if (!assigned.includes(p)) void closeLane(p);
      for (const p of [...windows.keys()]) if (!assigned.includes(p)) windows.delete(p);
      log.info({ partitions: assigned }, 'partitions assigned');
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => log.error({ err: payload.error, restart: payload.restart }, 'consumer crashed'));
    await consumer.connect();
    closers.push(async () => {
      // Waits for the batch in hand (its transaction commits), then leaves the group.
      await consumer.disconnect();
      await Promise.all([...lanes.keys()].map(closeLane));
    });
    // A new group starts at the oldest retained event: starting at the end would skip events silently.
    await subscribeWhenKnown(consumer, { topics: [raw], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: rawPartitions, eachBatch });

    const discovery = registerService({ connect: config.zookeeperConnect, service: 'curate', host: config.host, port: http.port, log });
    closers.push(() => discovery.close());

    const metricsUrl = `http://${config.host}:${http.port}/metrics`;
    log.info({ raw, curated: config.topics.curated, dlq: config.topics.dlq, group, rawPartitions, metricsUrl }, 'curate worker started');
    return {
      stop: closeAll,
      metricsUrl,
      metrics: metrics.registry,
      assignedPartitions: () => [...assigned],
    };
  } catch (err) {
    await closeAll().catch((stopErr: unknown) => log.warn({ err: stopErr }, 'cleaning up after a failed start'));
    throw err;
  }
}
