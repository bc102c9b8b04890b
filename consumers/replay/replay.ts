import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin, Kafka } from 'kafkajs';
import type pino from 'pino';
import { createClickHouse } from '../../lib/clickhouse';
import type { ServiceConfig } from '../../lib/config';
import { createKafka } from '../../lib/kafka';
import { createSchemaRegistry } from '../../producers/schema-registry';
import { createEventDecoder } from '../curate/decode-event';
import { startAnomalyPass, type AnomalyStats } from './anomaly-pass';
import { buildPlan, monthsOverlapping, type ReplayPlan } from './plan';
import { logProgress, Progress } from './progress';
import { rangeSize, resolveRange, type PartitionRange } from './range';
import { startPositions, readRange, type RangeBatch } from './range-reader';
import { alignToWindows, parseRequest, RefusalError, type RawOptions, type ReplayRequest } from './request';
import { checkRebuildable, discoverRollups, rebuildRollups, type RollupView } from './rollups';
import { checkId, exists, initialState, loadState, newReplayId, rangesOf, saveState, type ReplayState } from './state';
import { emptyStorageStats, InsertBuffer, rawTableInsert, storageHandler, type StorageStats } from './storage-pass';
import { lookupTopic } from './topic-lookup';

/**
 * One replay, start to end: the request is checked and resolved into a plan; then the steps run in
 * order, each skipped when the state file says it is done: storage (topic range -> upload_events),
 * rollups (months cleared and rebuilt from the raw table), anomalies (charts of the range
 * regenerated in event time). An abort (SIGTERM/SIGINT in the CLI) stops at the next batch or
 * chunk boundary; `--resume <id>` goes on from there.
 */

export interface ReplayOptions extends RawOptions {
  id?: string;
  resume?: string;
  dryRun?: boolean;
}

export interface ReplayOutcome {
  id: string;
  status: 'planned' | 'done' | 'interrupted';
  plan: ReplayPlan;
  storage?: StorageStats;
  anomalies?: AnomalyStats;
  /** Wall time of each step this run did, seconds. */
  seconds: Partial<Record<'storage' | 'rollups' | 'anomalies', number>>;
}

// A rollup chunk or a bulk insert may run for minutes on a loaded server.
const STATEMENT_TIMEOUT_MS = 30 * 60_000;

export const replayGroup = (id: string, pass: 'storage' | 'anomalies'): string => `upload-pulse-replay.${id}.${pass}`;

interface Clients {
  kafka?: Kafka;
  admin?: Admin;
  ch: ClickHouseClient;
}

async function connect(config: ServiceConfig, log: pino.Logger, needsKafka: boolean): Promise<Clients> {
  const ch = createClickHouse(config.clickhouse.url, undefined, { requestTimeoutMs: STATEMENT_TIMEOUT_MS });
  if (!needsKafka) return { ch };
  const kafka = createKafka(`upload-pulse-replay-${process.pid}`, config.kafkaBrokers, log);
  const admin = kafka.admin();
  await admin.connect();
  return { kafka, admin, ch };
}

/** Months whose rollups the request rebuilds, as far as known before reading. */
const plannedMonths = (r: ReplayRequest): string[] => (r.range.by === 'time' ? monthsOverlapping(r.range.fromMs, r.range.toMs) : []);

export async function runReplay(options: ReplayOptions, config: ServiceConfig, log: pino.Logger, signal: AbortSignal): Promise<ReplayOutcome> {
  const stateDir = config.replay.stateDir;
  let state: ReplayState | undefined;
  let raw: RawOptions = options;
  let id: string;
  if (options.resume) {
    state = loadState(stateDir, options.resume);
    if (state.finishedAt) throw new RefusalError(`replay ${state.id} finished at ${state.finishedAt}; nothing to resume (run the request again for a new replay)`);
    raw = state.options;
    id = state.id;
  } else {
    id = checkId(options.id ?? newReplayId());
    if (exists(stateDir, id)) throw new RefusalError(`a replay named ${id} exists in ${stateDir}: resume it with --resume ${id}, or choose another --id`);
  }

  const asked = parseRequest(raw, { raw: config.topics.uploadEvents, curated: config.topics.curated });
  let request = asked;
  if (asked.range.by === 'time' && asked.targets.includes('anomalies')) request = { ...asked, range: { by: 'time', ...alignToWindows(asked.range.fromMs, asked.range.toMs, config.anomaly.windowMs) } };
  const db = config.clickhouse.database;
  const clients = await connect(config, log, request.topic !== undefined);
  const { ch, kafka, admin } = clients;
  try {
    let ranges: PartitionRange[] = [];
    let topicPartitions = 0;
    if (request.topic && kafka && admin) {
      const offsets = await lookupTopic({ kafka, admin, brokers: config.kafkaBrokers, request, topic: request.topic, probeGroup: `${replayGroup(id, 'storage')}.probe` });
      topicPartitions = offsets.partitions.length;
      ranges = state ? rangesOf(state) : resolveRange(request, offsets);
      if (state) {
        // Retention may have moved on while the replay waited: steps still to read need the whole range.
        const done = state.done;
        const reads = request.targets.filter((t) => t !== 'rollups' && !done.includes(t));
        for (const r of ranges) {
          const low = offsets.partitions.find((p) => p.partition === r.partition)?.low ?? 0n;
          if (low > r.start && reads.length > 0) throw new RefusalError(`retention deleted offsets ${r.start}-${low - 1n} of ${request.topic}[${r.partition}] since replay ${id} started; start a new replay from a later time`);
        }
      }
    }
    const views: RollupView[] = request.targets.includes('rollups') ? await discoverRollups(ch, db) : [];
    const months = [...new Set([...plannedMonths(request), ...(state?.months ?? [])])].sort();
    if (views.length > 0) await checkRebuildable(ch, db, views, months);
    const plan = buildPlan({
      id,
      database: db,
      request,
      ...(asked.range.by === 'time' ? { asked: { fromMs: asked.range.fromMs, toMs: asked.range.toMs } } : {}),
      partitions: ranges,
      ...(request.topic ? { group: replayGroup(id, 'storage') } : {}),
      months,
      views,
      stateFile: path.join(stateDir, `${id}.json`),
    });
    if (options.dryRun) return { id, status: 'planned', plan, seconds: {} };

    if (!state) {
      state = initialState(id, raw, ranges, months);
      saveState(stateDir, state);
    }
    const current = state;
    log.info({ id, resumed: Boolean(options.resume), done: current.done, plan }, 'replay started');
    const outcome: ReplayOutcome = { id, status: 'done', plan, seconds: {} };
    let stepStarted = Date.now();
    const took = (step: 'storage' | 'rollups' | 'anomalies') => {
      outcome.seconds[step] = (Date.now() - stepStarted) / 1000;
      stepStarted = Date.now();
    };
    const interrupted = (): void => {
      log.warn({ id, done: current.done }, `replay interrupted; resume with: npm run replay -- --resume ${id}`);
      outcome.status = 'interrupted';
    };

    const registry = request.kind === 'raw' && request.topic ? createSchemaRegistry(config.schemaRegistryUrl) : undefined;
    const decode = registry ? createEventDecoder((schemaId) => registry.getSchema(schemaId)) : undefined;
    const read = async (pass: 'storage' | 'anomalies', resume: boolean, handle: (batch: RangeBatch) => Promise<{ stored: Promise<void> }>): Promise<boolean> => {
      if (!kafka || !admin || !request.topic) throw new Error('reading needs a topic');
      const group = replayGroup(id, pass);
      const positions = await startPositions(admin, request.topic, group, ranges, resume);
      const progress = new Progress(rangeSize(ranges), ranges.reduce((n, r) => n + Number((positions.get(r.partition) as bigint) - r.start), 0));
      const stop = logProgress(log, pass, progress, config.replay.progressIntervalMs);
      try {
        const completed = await readRange({ kafka, admin, topic: request.topic, group, ranges, positions, commit: pass === 'storage', handle, onRead: (n) => progress.advance(n), signal, fetchBytes: config.replay.fetchBytes, log });
        log.info({ pass, completed, ...progress.snapshot() }, completed ? 'replay pass read its range' : 'replay pass stopped');
        if (completed) await admin.deleteGroups([group]).catch((err: unknown) => log.warn({ err, group }, 'deleting the replay consumer group failed'));
        return completed;
      } finally {
        stop();
      }
    };
    const markDone = (target: 'storage' | 'rollups' | 'anomalies') => {
      current.done.push(target);
      saveState(stateDir, current);
    };

    /** The steps not done yet, in order; returns early when interrupted. */
    const runSteps = async (): Promise<void> => {
      if (request.targets.includes('storage') && !current.done.includes('storage') && request.topic) {
        const stats = emptyStorageStats();
        const buffer = new InsertBuffer(rawTableInsert(ch, db), config.replay.insertRows, 200);
        const handle = storageHandler({
          kind: request.kind,
          topic: request.topic,
          ...(decode ? { decode } : {}),
          ...(request.range.by === 'time' ? { timeRange: { fromMs: request.range.fromMs, toMs: request.range.toMs } } : {}),
          buffer,
          stats,
          onNewMonth: (month) => {
            if (current.months.includes(month)) return;
            current.months = [...current.months, month].sort();
            saveState(stateDir, current);
          },
        });
        outcome.storage = stats;
        stepStarted = Date.now();
        if (!(await read('storage', Boolean(options.resume), handle))) return interrupted();
        took('storage');
        log.info({ storage: stats, seconds: outcome.seconds.storage }, 'storage step done');
        markDone('storage');
      }

      if (request.targets.includes('rollups') && !current.done.includes('rollups')) {
        if (request.range.by === 'offset') await checkRebuildable(ch, db, views, current.months);
        stepStarted = Date.now();
        const rebuilt = await rebuildRollups({ ch, db, views, months: current.months, chunkRows: config.replay.rollupChunkRows, log, signal, onChunk: (p) => log.debug(p, 'rollup chunk rebuilt') });
        if (!rebuilt) return interrupted();
        took('rollups');
        log.info({ months: current.months, views: views.map((v) => v.view), seconds: outcome.seconds.rollups }, 'rollups step done');
        markDone('rollups');
      }

      if (plan.anomalies && decode && !current.done.includes('anomalies')) {
        stepStarted = Date.now();
        const pass = await startAnomalyPass({ ch, db, stream: plan.anomalies.stream, fromMs: plan.anomalies.fromMs, toMs: plan.anomalies.toMs, partitions: topicPartitions, anomaly: config.anomaly, decode, log });
        // State is in memory: the pass always reads its whole range again.
        if (!(await read('anomalies', false, pass.handle))) return interrupted();
        outcome.anomalies = await pass.finish();
        took('anomalies');
        log.info({ anomalies: outcome.anomalies, seconds: outcome.seconds.anomalies }, 'anomalies step done');
        markDone('anomalies');
      }
    };

    try {
      await runSteps();
    } catch (err) {
      log.error({ id, done: current.done, err }, `replay failed; once the cause is fixed, resume with: npm run replay -- --resume ${id}`);
      throw err;
    }
    if (outcome.status === 'interrupted') return outcome;
    current.finishedAt = new Date().toISOString();
    saveState(stateDir, current);
    log.info({ id, storage: outcome.storage, anomalies: outcome.anomalies, seconds: outcome.seconds }, 'replay done');
    return outcome;
  } finally {
    await admin?.disconnect();
    await ch.close();
  }
}
