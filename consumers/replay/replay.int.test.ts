import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin, Kafka } from 'kafkajs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { dropDatabase, migrate } from '../../clickhouse-ddl/migrate';
import { createClickHouse, queryRows } from '../../lib/clickhouse';
import { loadEnv, REPO_ROOT, serviceConfig, type ServiceConfig } from '../../lib/config';
import { createKafka } from '../../lib/kafka';
import { quoteString } from '../../lib/sql';
import { ensureTopic } from '../../lib/topics';
import { EventProducer } from '../../producers/event-producer';
import { createSchemaRegistry, registerUploadEventSchema } from '../../producers/schema-registry';
import { parseIncident } from '../../producers/simulator/incidents';
import { createTraffic } from '../../producers/simulator/model';
import { uploadEventsTopic } from '../../producers/topics';
import { curate, curatedRow } from '../../schemas/curated-event';
import type { UploadEvent } from '../../schemas/upload-event';
import { syncReplicas, testStack, uniqueName } from '../../test/stack-env';
import { runReplay, type ReplayOptions } from './replay';
import { RefusalError } from './request';
import { rawTableInsert } from './storage-pass';

/**
 * The replay CLI's engine on the real stack, into a database of its own: a known history (with
 * re-sent duplicates, half of it already stored through the rollup views) replayed from a unique
 * raw topic. One replay gives exact per-minute totals; a second one, or one interrupted twice and
 * resumed, leaves raw rows, both rollups and the regenerated anomalies exactly as after one run.
 */

const PARTITIONS = 4;
const MINUTE_NS = 60_000_000_000n;
const quiet = pino({ level: 'warn' });
let kafka: Kafka;
let admin: Admin;
let ch: ClickHouseClient;
let config: ServiceConfig;
let db: string;
let stateDir: string;
let servers: string[];
const topics: string[] = [];
let events: UploadEvent[];
let from: string;
let to: string;

const rows = <T>(query: string): Promise<T[]> => queryRows<T>(ch, query);

// An hour-aligned history ending over an hour ago (the topic keeps it): 20 minutes at a flat 20
// events/s (enough attempts per window for the failure-rate chart), a failure spike at +14m.
const START = BigInt(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000) * 1_000_000n;
const MINUTES = 20;

beforeAll(async () => {
  const { status } = await testStack();
  servers = status.components.clickhouse.http;
  const id = uniqueName('replay');
  db = id.replace(/[^A-Za-z0-9_]/g, '_');
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-state-'));
  const env = {
    KAFKA_BROKERS: status.components.kafka.bootstrap,
    SCHEMA_REGISTRY_URL: status.components.schemaRegistry.url,
    CLICKHOUSE_URL: status.components.clickhouse.http[0],
    CLICKHOUSE_DB: db,
    UPLOAD_EVENTS_TOPIC: `${id}.raw`,
    CURATED_TOPIC: `${id}.curated`,
    TOPIC_PARTITIONS: String(PARTITIONS),
    ANOMALY_MIN_BASELINE_WINDOWS: '10',
    REPLAY_STATE_DIR: stateDir,
    REPLAY_INSERT_ROWS: '3000',
    REPLAY_PROGRESS_INTERVAL_S: '0.05',
  };
  config = serviceConfig(loadEnv({ ...process.env, ...env }));
  kafka = createKafka('replay-test', config.kafkaBrokers, quiet);
  admin = kafka.admin();
  await admin.connect();
  ch = createClickHouse(config.clickhouse.url);
  topics.push(config.topics.uploadEvents, config.topics.curated);
  await ensureTopic(admin, uploadEventsTopic(config));
  await ensureTopic(admin, { topic: config.topics.curated, partitions: PARTITIONS, retentionMs: 3_600_000 });
  await migrate(ch, { db, kafka_brokers: env.KAFKA_BROKERS, curated_topic: config.topics.curated, ingest_group: `${id}.ingest` }, quiet);

  const spike = parseIncident('failure-spike:origin=xlsx-import,magnitude=0.5@+14m/4m', START);
  const history: UploadEvent[] = [];
  for (const e of createTraffic({ seed: 7, start: START, rate: 20, sellers: 300, diurnalAmplitude: 0, weekendFactor: 1, incidents: [spike] })) {
    if (e.ts >= START + BigInt(MINUTES) * MINUTE_NS) break;
    history.push(e);
  }
  // Client retries: 300 events sent again later, as the gateway's 503 retries would.
  events = [...history, ...history.filter((_, i) => i % 100 === 7).slice(0, 300)];
  const registry = createSchemaRegistry(config.schemaRegistryUrl);
  const topic = config.topics.uploadEvents;
  const producer = new EventProducer({ kafka, registry, topic, schemaId: await registerUploadEventSchema(registry, topic), metrics: new Registry(), log: quiet, ...config.producer, maxQueuedEvents: events.length });
  await producer.connect();
  await producer.send(events);
  await producer.close();

  // Half of the history is already stored, as the live pipeline left it: through the rollup views.
  const stored = history.slice(0, history.length / 2).map((e) => curatedRow(curate(e)));
  await rawTableInsert(ch, db)(stored);
  from = new Date(Number(START / 1_000_000n)).toISOString();
  to = new Date(Number(START / 1_000_000n) + MINUTES * 60_000).toISOString();
});

afterAll(async () => {
  if (ch) await dropDatabase(ch, db);
  await ch?.close();
  await admin?.deleteTopics({ topics }).catch(() => undefined);
  await admin?.disconnect();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

/** A logger that aborts the replay at the first line `stopAt` accepts (the CLI's SIGTERM does the same abort). */
function stopping(stopAt: (line: Record<string, unknown>) => boolean): { log: pino.Logger; signal: AbortSignal } {
  const abort = new AbortController();
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString().split('\n').filter(Boolean)) if (stopAt(JSON.parse(text) as Record<string, unknown>)) abort.abort();
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), signal: abort.signal };
}

const replay = (options: ReplayOptions, log: pino.Logger = quiet, signal = new AbortController().signal, c = config) => runReplay(options, c, log, signal);
// Small batches: an interruption leaves most of the range to the resumed run.
const smallBatches = (): ServiceConfig => ({ ...config, replay: { ...config.replay, fetchBytes: 32_768 } });
const request = (): ReplayOptions => ({ topic: config.topics.uploadEvents, from, to });
const refusal = (options: ReplayOptions) => replay(options).then(() => new Error('not refused'), (err: unknown) => err);

interface Totals {
  raw: unknown[];
  rollup1m: unknown[];
  rollup1h: unknown[];
  anomalies: unknown[];
  windows: unknown[];
}

/** Per-minute (per-hour) totals of everything a replay writes, deduplicated as readers see it (FINAL), on whichever replica answers. */
async function totals(): Promise<Totals> {
  await syncReplicas(servers, db);
  const stream = quoteString(config.topics.uploadEvents);
  const rollup = (level: string) =>
    rows(`SELECT toString(minute) AS t, toString(countMerge(events)) AS events, toString(countIfMerge(errors)) AS errors, toString(uniqExactMerge(attempts)) AS attempts,
      toString(countIfMerge(latency_n)) AS n, round(sumIfMerge(latency_sum), 3) AS latency FROM ${db}.upload_rollup_${level} GROUP BY t ORDER BY t`);
  return {
    raw: await rows(`SELECT toString(event_minute) AS t, toString(count()) AS events, toString(countIf(event = 'ERROR')) AS errors FROM ${db}.upload_events FINAL GROUP BY t ORDER BY t`),
    rollup1m: await rollup('1m'),
    rollup1h: await rollup('1h'),
    anomalies: await rows(`SELECT toString(window_start) AS t, chart, dimension, rule, severity, round(value, 9) AS value, round(ucl, 9) AS ucl FROM ${db}.anomalies FINAL WHERE stream = ${stream} ORDER BY t, chart, dimension, rule`),
    windows: await rows(`SELECT toString(window_start) AS t, dimension, toString(events) AS events, toString(failures) AS failures FROM ${db}.chart_windows FINAL WHERE stream = ${stream} ORDER BY t, dimension`),
  };
}

let once: Totals;

test('one replay stores every event once: raw rows and both rollups match the history minute by minute, and the spike is charted', async () => {
  const outcome = await replay({ ...request(), id: 'first' });
  expect(outcome.status).toBe('done');
  expect(outcome.storage?.duplicates).toBeGreaterThan(0);
  once = await totals();

  const byMinute = new Map<string, { events: number; errors: number }>();
  const seen = new Set<bigint>();
  for (const e of events) {
    const c = curate(e);
    if (seen.has(c.event_key)) continue;
    seen.add(c.event_key);
    const t = new Date(c.event_minute * 1000).toISOString().replace('T', ' ').slice(0, 19);
    const m = byMinute.get(t) ?? { events: 0, errors: 0 };
    m.events += 1;
    if (c.event === 'ERROR') m.errors += 1;
    byMinute.set(t, m);
  }
  const expected = [...byMinute.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([t, m]) => ({ t, events: String(m.events), errors: String(m.errors) }));
  expect(once.raw).toEqual(expected);
  expect((once.rollup1m as { t: string; events: string; errors: string }[]).map(({ t, events, errors }) => ({ t, events, errors }))).toEqual(expected);
  expect((once.rollup1h as { events: string }[]).reduce((n, r) => n + Number(r.events), 0)).toBe(seen.size);
  expect(once.windows.length).toBeGreaterThan(MINUTES * 3);
  expect(once.anomalies).toEqual(expect.arrayContaining([expect.objectContaining({ chart: 'failure_rate', dimension: 'origin=xlsx-import' })]));
});

test('replaying the same range again leaves raw rows, rollups and anomalies exactly as after one run', async () => {
  const outcome = await replay({ ...request(), id: 'second' });
  expect(outcome.status).toBe('done');
  expect(await totals()).toEqual(once);
});

test('a replay interrupted while storing and again while rebuilding rollups, then resumed, ends with the same totals', async () => {
  const duringStorage = stopping((l) => l.msg === 'replay progress' && l.pass === 'storage' && Number(l.done) > 0);
  const first = await replay({ ...request(), id: 'interrupted' }, duringStorage.log, duringStorage.signal, smallBatches());
  expect(first.status).toBe('interrupted');
  const state = JSON.parse(fs.readFileSync(path.join(stateDir, 'interrupted.json'), 'utf8')) as { done: string[] };
  expect(state.done).toEqual([]);

  const duringRollups = stopping((l) => l.msg === 'rollup months cleared');
  const second = await replay({ resume: 'interrupted' }, duringRollups.log, duringRollups.signal, smallBatches());
  expect(second.status).toBe('interrupted');
  // Storage resumed from its committed offsets: it read the rest of the range, not all of it again.
  expect(second.storage?.read).toBeGreaterThan(0);
  expect(second.storage?.read ?? 0).toBeLessThan(events.length);

  const third = await replay({ resume: 'interrupted' });
  expect(third.status).toBe('done');
  expect(third.storage).toBeUndefined();
  expect(await totals()).toEqual(once);
});

test('unsafe requests are refused with what is wrong and what to do', async () => {
  const unknown = await refusal({ ...request(), topic: `${config.topics.uploadEvents}.missing`, kind: 'raw' });
  expect(unknown).toBeInstanceOf(RefusalError);
  expect((unknown as Error).message).toMatch(/^topic \S+\.missing does not exist on .*similar topics: .*\.raw/);
  expect(String(await refusal({ ...request(), from: to, to: from }))).toMatch(/--from .* is after --to .*swap them/);
  expect(String(await refusal({ ...request(), target: 'storage' }))).toMatch(/without rollups would double-count.*--target storage,rollups/);

});

test('the CLI prints a dry-run plan, changes nothing, and exits 2 with the reason on a refused request', () => {
  const env = { ...process.env, KAFKA_BROKERS: config.kafkaBrokers.join(','), SCHEMA_REGISTRY_URL: config.schemaRegistryUrl, CLICKHOUSE_URL: config.clickhouse.url, CLICKHOUSE_DB: db, UPLOAD_EVENTS_TOPIC: config.topics.uploadEvents, CURATED_TOPIC: config.topics.curated, REPLAY_STATE_DIR: stateDir, LOG_LEVEL: 'warn' };
  const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'consumers/replay/cli.ts', ...args], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 60_000 });
  const later = new Date(Date.parse(from) + 10 * 60_000).toISOString();
  const dry = cli(['--topic', config.topics.uploadEvents, '--from', later, '--to', to, '--dry-run', '--id', 'dry']);
  expect(dry.stderr).toBe('');
  expect(dry.status).toBe(0);
  expect(dry.stdout).toMatch(new RegExp(`read: topic ${config.topics.uploadEvents.replace(/\./g, '\\.')} \\(raw\\)`));
  expect(dry.stdout).toMatch(/partition 3: offsets \d+ to \d+/);
  expect(dry.stdout).toMatch(/upload_rollup_1m_local \(view upload_rollup_1m_mv\): DROP PARTITION/);
  expect(dry.stdout).toMatch(/upload_rollup_1h_local \(view upload_rollup_1h_mv\): DELETE WHERE toYYYYMM\(minute\)/);
  expect(dry.stdout).toMatch(/anomalies of stream .* delete, then regenerate/);
  expect(fs.existsSync(path.join(stateDir, 'dry.json'))).toBe(false);

  const refused = cli(['--topic', config.topics.uploadEvents, '--from', to, '--to', from]);
  expect(refused.status).toBe(2);
  expect(refused.stderr).toMatch(/^replay refused: --from .* is after --to/);
});

test('a range beyond the topic\'s retention is refused, saying from when events are still available', async () => {
  // Retention: the first half of partition 0 deleted, as the broker does with old segments.
  const [p0] = (await admin.fetchTopicOffsets(config.topics.uploadEvents)).filter((p) => p.partition === 0);
  const cut = BigInt(p0.high) / 2n;
  await admin.deleteTopicRecords({ topic: config.topics.uploadEvents, partitions: [{ partition: 0, offset: cut.toString() }] });
  const beyond = await refusal(request());
  expect(String(beyond)).toMatch(/beyond the retention of topic .*partitions 0\. Still available: events from \d{4}-\d\d-\d\dT\S+ on/);
  const availableFrom = /Replay from (\S+?);/.exec(String(beyond))?.[1];
  expect(Date.parse(availableFrom ?? '')).toBeGreaterThan(Date.parse(from));
});
