import os from 'node:os';
import { setImmediate } from 'node:timers/promises';
import { Partitioners, type Consumer, type EachBatchPayload, type Kafka } from 'kafkajs';
import type pino from 'pino';
import { Registry } from 'prom-client';
import { createClickHouse } from '../../lib/clickhouse';
import type { ServiceConfig } from '../../lib/config';
import { createKafka } from '../../lib/kafka';
import { joinLeadership, type Leadership } from '../../lib/leadership';
import { serveMetrics } from '../../lib/metrics-server';
import { chunkBySize } from '../../lib/request-chunks';
import { registerService } from '../../lib/service-registry';
import { ensureTopic, partitionCount, subscribeWhenKnown } from '../../lib/topics';
import { createSchemaRegistry } from '../../producers/schema-registry';
import { uploadEventsTopic } from '../../producers/topics';
import { createEventDecoder, UndecodableError } from '../curate/decode-event';
import { loadSeedWindows } from './baseline-seed';
import { aheadOfClock, resumable } from './clock-guard';
import { createChartOutputs } from './chart-outputs';
import { createLeaderLoop, parseLeaderMetadata, type LeaderLoop } from './leader';
import { anomalyMetrics } from './metrics';
import { observe, observedFieldsType, type ObservedFields } from './observed-event';
import { monitorOptions } from './options';
import { encodePartial, partialKey, type PartialMessage } from './partials';
import { PartitionOwner } from './partition-owner';
import { loadSellerHistories, type Takeover } from './seller-history';
import { SELLER_TRAILING_WINDOWS } from './seller-monitor';
import type { WindowPosition } from './partition-windows';

/**
 * The anomaly worker: one member of a consumer group on the raw topic. It owns some raw
 * partitions: it counts their events into event-time windows, tests their sellers, and sends each
 * closed window as a partial to the single-partition partials topic. Whichever member holds that
 * topic's partition is the leader: it merges the partials into global windows and charts them
 * (see README.md next to this file).
 *
 * Offsets are committed conservatively, at the first event of the oldest open window, with the
 * window position in the commit metadata, so a new owner rebuilds open windows whole and skips the
 * closed ones.
 */

export interface AnomalyWorkerOptions {
  instanceId?: string;
  /** Metrics port; 0 takes a free one (tests run several workers). Default: ANOMALY_METRICS_PORT. */
  metricsPort?: number;
}

export interface AnomalyWorker {
  stop(): Promise<void>;
  metricsUrl: string;
  metrics: Registry;
  isLeader(): boolean;
  assignedPartitions(): number[];
  instanceId: string;
}

const SESSION_TIMEOUT_MS = 10_000;
const PARTIALS_RETENTION_MS = 7 * 86_400_000;
const ANOMALIES_PARTITIONS = 3;
const STALE_CHECK_EVERY = 256;
// Under the broker's default 1 MiB record-batch limit: a catch-up closes many windows at once.
const MAX_REQUEST_BYTES = 768 * 1024;

export const parsePosition = (metadata: string | null | undefined): WindowPosition | undefined => {
  try {
    const p = JSON.parse(metadata ?? 'null') as Partial<WindowPosition> | null;
    return p && typeof p.closedUntil === 'number' && typeof p.maxTs === 'number' ? { closedUntil: p.closedUntil, maxTs: p.maxTs } : undefined;
  } catch {
    return undefined;
  }
};

export async function startAnomalyWorker(config: ServiceConfig, parentLog: pino.Logger, opts: AnomalyWorkerOptions = {}): Promise<AnomalyWorker> {
  const instanceId = opts.instanceId ?? `${os.hostname()}-${process.pid}`;
  const log = parentLog.child({ instance: instanceId });
  const a = config.anomaly;
  const raw = config.topics.uploadEvents;
  const kafka: Kafka = createKafka(`upload-pulse-anomaly-${instanceId}`, config.kafkaBrokers, log);
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close().catch((err: unknown) => log.warn({ err }, 'stopping a part of the anomaly worker failed'));
  };

  try {
    const admin = kafka.admin();
    await admin.connect();
    closers.push(() => admin.disconnect());
    await ensureTopic(admin, uploadEventsTopic(config));
    await ensureTopic(admin, { topic: a.partialsTopic, partitions: 1, retentionMs: PARTIALS_RETENTION_MS });
    await ensureTopic(admin, { topic: a.anomaliesTopic, partitions: ANOMALIES_PARTITIONS, retentionMs: config.topics.retentionMs });
    const rawPartitions = await partitionCount(admin, raw);
    const options = monitorOptions(a, rawPartitions);

    const registry = createSchemaRegistry(config.schemaRegistryUrl);
    const decode = createEventDecoder((id) => registry.getSchema(id), observedFieldsType());
    const clickhouse = createClickHouse(config.clickhouse.url);
    closers.push(() => clickhouse.close());
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    closers.push(() => producer.disconnect());
    const outputs = await createChartOutputs({ registry, producer, topic: a.anomaliesTopic, clickhouse, database: config.clickhouse.database, windowMs: a.windowMs, stream: raw });

    const metricsRegistry = new Registry();
    const metrics = anomalyMetrics(metricsRegistry);

    // Owner side: raw partitions.
    const owners = new Map<number, PartitionOwner>();
    let assigned: number[] = [];
    const lastActivity = new Map<number, number>();
    // Read through (exclusive), control records included: a transactional producer (the gateway)
    // ends each write with a commit marker that takes an offset but reaches no eachBatch, so the
    // owners' own position would stay one short of the end and the partition never count as idle.
    const readThrough = new Map<number, bigint>();
    const send = async (partials: PartialMessage[]) => {
      const messages = partials.map((m) => ({ key: partialKey(m), value: encodePartial(m) }));
      for (const chunk of chunkBySize(messages, MAX_REQUEST_BYTES)) await producer.send({ topic: a.partialsTopic, acks: -1, messages: chunk });
    };

    // Owners of every newly assigned partition at once, so their sellers' history is one query.
    const takeOver = async (delivered: number): Promise<void> => {
      const [committed] = await admin.fetchOffsets({ groupId: a.group, topics: [raw] });
      const taken: Takeover[] = [];
      for (const partition of new Set([delivered, ...assigned.filter((p) => !owners.has(p))])) {
        const entry = committed?.partitions.find((p) => p.partition === partition);
        const offset = entry && BigInt(entry.offset) >= 0n ? BigInt(entry.offset) : 0n;
        const position = resumable(parsePosition(entry?.metadata), Date.now(), log, { partition });
        owners.set(partition, new PartitionOwner(partition, options.owner, { offset, ...(position ? { position } : {}) }));
        // Without a position the owner reads the partition from its start and learns everything itself.
        if (position) taken.push({ partition, resumeAt: position.closedUntil });
        log.info({ partition, offset: offset.toString(), closedUntil: position ? new Date(position.closedUntil).toISOString() : undefined }, 'took over raw partition');
      }
      if (a.sellerHistory === 'none' || taken.length === 0) return;
      const started = Date.now();
      const histories = await loadSellerHistories(clickhouse, config.clickhouse.database, taken, { windowMs: a.windowMs, partitions: rawPartitions, trailingWindows: SELLER_TRAILING_WINDOWS, forgetAfterMs: a.forgetAfterMs });
      for (const [partition, history] of histories) {
        const sellers = owners.get(partition)?.sellers;
        if (!sellers) continue;
        for (const [seller, h] of history.sellers) sellers.restore(seller, h);
        sellers.restorePrior(history.prior);
      }
      log.info({ partitions: taken.map((t) => t.partition), sellers: [...histories.values()].reduce((n, h) => n + h.sellers.size, 0), ms: Date.now() - started }, 'restored seller baselines from the rollups');
    };
    const ownerOf = async (partition: number): Promise<PartitionOwner> => {
      if (!owners.has(partition)) await takeOver(partition);
      return owners.get(partition) as PartitionOwner;
    };

    // kafkajs's default fetch sizes. 4 MiB a partition replayed 120,000-180,000 events/s instead of
    // ~90,000, but decoding a 48 MiB fetch and its batches held the event loop for seconds on the
    // cluster topology: health probes timed out and the group session expired during a catch-up.
    const consumer: Consumer = kafka.consumer({ groupId: a.group, sessionTimeout: SESSION_TIMEOUT_MS, heartbeatInterval: SESSION_TIMEOUT_MS / 5, rebalanceTimeout: SESSION_TIMEOUT_MS });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      assigned = [...(payload.memberAssignment[raw] ?? [])].sort((x, y) => x - y);
      for (const p of [...owners.keys()]) if (!assigned.includes(p)) owners.delete(p);
      for (const p of [...readThrough.keys()]) if (!assigned.includes(p)) readThrough.delete(p);
      const now = Date.now();
      for (const p of assigned) lastActivity.set(p, now);
      metrics.partitions.set(assigned.length);
      log.info({ partitions: assigned }, 'raw partitions assigned');
    });

    const eachBatch = async ({ batch, heartbeat, isRunning, isStale }: EachBatchPayload) => {
      const owner = await ownerOf(batch.partition);
      let counted = 0;
      let whole = true;
      for (const [i, message] of batch.messages.entries()) {
        if (i % STALE_CHECK_EVERY === 0) {
          // kafkajs's staleness check costs as much as counting an event: look every so often. And
          // let the event loop breathe: health probes, heartbeats and the leader share this thread.
          if (!isRunning() || isStale()) {
            whole = false;
            break;
          }
          if (i > 0) await setImmediate();
        }
        const offset = BigInt(message.offset);
        if (offset < owner.nextOffset) continue;
        let event: ObservedFields;
        try {
          event = (await decode(message.value)) as ObservedFields;
        } catch (err) {
          if (!(err instanceof UndecodableError)) throw err;
          // The curate stage dead-letters it with the reason; here it only does not count.
          owner.skip(offset);
          metrics.events.inc({ outcome: 'undecodable' });
          continue;
        }
        const observed = observe(event);
        // ClickHouse stores it; the charts leave it out.
        if (aheadOfClock(observed.tsMs, Date.now())) {
          owner.skip(offset);
          metrics.events.inc({ outcome: 'future' });
          continue;
        }
        if (owner.add(observed, offset)) counted += 1;
        else metrics.events.inc({ outcome: 'late' });
      }
      metrics.events.inc({ outcome: 'counted' }, counted);
      lastActivity.set(batch.partition, Date.now());
      if (whole) readThrough.set(batch.partition, BigInt(batch.lastOffset()) + 1n);
      const partials = owner.closeWindows();
      if (partials.length === 0) return;
      await send(partials);
      owner.sent(partials.length);
      metrics.partialsSent(partials.reduce((newest, m) => Math.max(newest, m.start), 0) + a.windowMs);
      const point = owner.commitPoint();
      await consumer.commitOffsets([{ topic: raw, partition: batch.partition, offset: point.offset.toString(), metadata: point.position ? JSON.stringify(point.position) : null }]);
      metrics.sellersTracked.set([...owners.values()].reduce((n, o) => n + o.sellers.size, 0));
      await heartbeat();
    };
    // Batches of control records only never reach eachBatch; kafkajs reports them here, with no messages.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic === raw && payload.batchSize === 0 && assigned.includes(payload.partition)) readThrough.set(payload.partition, BigInt(payload.lastOffset) + 1n);
    });
    await consumer.connect();
    closers.push(() => consumer.disconnect());
    await subscribeWhenKnown(consumer, { topics: [raw], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatch });

    // A partition with nothing left to read holds no window back at the leader. Quiet is not
    // enough: a partition waiting its turn behind a long catch-up is quiet too, but not caught up.
    const idleTick = async () => {
      const now = Date.now();
      const checkedAt = now;
      const quiet = assigned.filter((p) => now - (lastActivity.get(p) ?? now) >= a.idleMs);
      if (quiet.length === 0) return;
      const ends = new Map((await admin.fetchTopicOffsets(raw)).map((o) => [o.partition, BigInt(o.high)]));
      const [committed] = await admin.fetchOffsets({ groupId: a.group, topics: [raw] });
      const ownPosition = (p: number) => owners.get(p)?.nextOffset ?? BigInt(Math.max(0, Number(committed?.partitions.find((c) => c.partition === p)?.offset ?? 0)));
      const position = (p: number) => {
        const own = ownPosition(p);
        const read = readThrough.get(p) ?? 0n;
        return read > own ? read : own;
      };
      const idle = quiet.filter((p) => position(p) >= (ends.get(p) ?? 0n));
      if (idle.length > 0) await send(idle.map((partition) => ({ kind: 'idle', partition, checkedAt })));
    };
    const idleTimer = setInterval(() => void idleTick().catch((err: unknown) => log.warn({ err }, 'sending idle notices failed')), a.idleMs);
    closers.push(async () => clearInterval(idleTimer));

    // Leader side: the partials topic.
    let loop: LeaderLoop | undefined;
    let leading = false;
    const leaderGroup = `${a.group}-leader`;
    const leadership: Leadership = await joinLeadership({
      kafka,
      name: a.group,
      topic: a.partialsTopic,
      log,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      onElected: () => {
        leading = true;
        metrics.leader.set(1);
      },
      onRevoked: () => {
        leading = false;
        loop = undefined;
        metrics.leader.set(0);
      },
      consume: async (payload, leaderConsumer) => {
        if (!loop) {
          const [committed] = await admin.fetchOffsets({ groupId: leaderGroup, topics: [a.partialsTopic] });
          const resume = resumable(parseLeaderMetadata(committed?.partitions.find((p) => p.partition === 0)?.metadata), Date.now(), log, { leader: true }) ?? {};
          loop = createLeaderLoop({
            monitor: options.leader,
            outputs,
            metrics,
            log,
            resume,
            seed: (until) => loadSeedWindows(clickhouse, config.clickhouse.database, raw, until),
            stillLeader: () => leading,
          });
        }
        await loop.handle(payload, leaderConsumer);
      },
    });
    closers.push(() => leadership.stop());

    const served = await serveMetrics(metricsRegistry, config.host, opts.metricsPort ?? a.metricsPort);
    closers.push(() => new Promise<void>((resolve) => served.server.close(() => resolve())));
    const discovery = registerService({ connect: config.zookeeperConnect, service: 'anomaly-worker', host: config.host, port: served.port, log });
    closers.push(() => discovery.close());
    log.info({ metricsPort: served.port, partitions: rawPartitions }, 'anomaly worker started');

    return {
      instanceId,
      metrics: metricsRegistry,
      metricsUrl: `http://${config.host}:${served.port}/metrics`,
      isLeader: () => leadership.isLeader(),
      assignedPartitions: () => [...assigned],
      stop: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
