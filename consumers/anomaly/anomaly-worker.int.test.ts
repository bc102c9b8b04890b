import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin, Kafka } from 'kafkajs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createClickHouse } from '../../lib/clickhouse';
import { loadEnv, serviceConfig, type ServiceConfig } from '../../lib/config';
import { createKafka } from '../../lib/kafka';
import { quoteString } from '../../lib/sql';
import { ensureTopic } from '../../lib/topics';
import { EventProducer } from '../../producers/event-producer';
import { createSchemaRegistry, registerUploadEventSchema } from '../../producers/schema-registry';
import { parseIncident } from '../../producers/simulator/incidents';
import { createTraffic } from '../../producers/simulator/model';
import { uploadEventsTopic } from '../../producers/topics';
import type { UploadEvent } from '../../schemas/upload-event';
import { freePort, killChildren, spawnService } from '../../test/child-service';
import { collectFrom } from '../../test/kafka-helpers';
import { eventually, testStack, uniqueName } from '../../test/stack-env';
import { breachId } from './breaches';
import { runInMemory } from './in-memory-run';
import { monitorOptions } from './options';
import { startAnomalyWorker } from './worker';

/**
 * The anomaly worker on the real broker, registry and ClickHouse, over simulated history replayed
 * at full speed in 5-second windows: it charts exactly what the same stages chart in memory, and
 * a group of three survives the loss of its leader without a gap in the global chart.
 */

const log = pino({ level: 'warn' });
const PARTITIONS = 6;
const WINDOW_MS = 5_000;
let kafka: Kafka;
let admin: Admin;
let ch: ClickHouseClient;
let stackEnv: Record<string, string>;
let db: string;
const topics: string[] = [];

beforeAll(async () => {
  const { status } = await testStack();
  stackEnv = {
    KAFKA_BROKERS: status.components.kafka.bootstrap,
    SCHEMA_REGISTRY_URL: status.components.schemaRegistry.url,
    ZOOKEEPER_CONNECT: status.components.zookeeper.connect,
    CLICKHOUSE_URL: status.components.clickhouse.http[0],
    SERVICE_HOST: '127.0.0.1',
    TOPIC_PARTITIONS: String(PARTITIONS),
    ANOMALY_WINDOW_S: String(WINDOW_MS / 1000),
    ANOMALY_LATENESS_S: '0',
    ANOMALY_IDLE_S: '5',
    ANOMALY_MIN_BASELINE_WINDOWS: '20',
  };
  const base = serviceConfig(loadEnv({ ...process.env, ...stackEnv }));
  db = base.clickhouse.database;
  kafka = createKafka('anomaly-test', base.kafkaBrokers, log);
  admin = kafka.admin();
  await admin.connect();
  ch = createClickHouse(base.clickhouse.url);
});

afterAll(async () => {
  killChildren();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
  await ch.close();
});

function scenario(name: string): { config: ServiceConfig; env: Record<string, string> } {
  const id = uniqueName(`anomaly-${name}`);
  const env = { ...stackEnv, UPLOAD_EVENTS_TOPIC: `${id}.raw`, ANOMALY_GROUP: `${id}.group`, ANOMALY_PARTIALS_TOPIC: `${id}.partials`, ANOMALIES_TOPIC: `${id}.anomalies`, ANOMALY_SELLER_HISTORY: 'none' };
  topics.push(env.UPLOAD_EVENTS_TOPIC, env.ANOMALY_PARTIALS_TOPIC, env.ANOMALIES_TOPIC);
  return { config: serviceConfig(loadEnv({ ...process.env, ...env })), env };
}

/**
 * Simulated history starting an hour ago (Kafka keeps it; 5-second windows make it long). Flat over
 * the day and week: with the simulator's daily and weekly cycles, a run on a Saturday night had too
 * little traffic for the spike to breach and for every partition to report each window.
 */
function history(minutes: number, incidents: string[] = []): UploadEvent[] {
  const start = BigInt(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000) * 1_000_000n;
  const traffic = createTraffic({ seed: 5, start, rate: 30, sellers: 300, diurnalAmplitude: 0, weekendFactor: 1, incidents: incidents.map((spec) => parseIncident(spec, start)) });
  const end = start + BigInt(minutes) * 60_000_000_000n;
  const events: UploadEvent[] = [];
  for (const e of traffic) {
    if (e.ts >= end) break;
    events.push(e);
  }
  return events;
}

async function rawProducer(config: ServiceConfig): Promise<EventProducer> {
  const topic = config.topics.uploadEvents;
  await ensureTopic(admin, uploadEventsTopic(config));
  const registry = createSchemaRegistry(config.schemaRegistryUrl);
  const producer = new EventProducer({ kafka, registry, topic, schemaId: await registerUploadEventSchema(registry, topic), metrics: new Registry(), log, ...config.producer });
  await producer.connect();
  return producer;
}

async function rows<T>(query: string): Promise<T[]> {
  return (await ch.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** Global windows written for the stream: distinct starts (a window written twice counts once). */
const globalWindows = async (stream: string): Promise<number[]> =>
  (await rows<{ s: number }>(`SELECT DISTINCT toUInt32(window_start) AS s FROM ${db}.chart_windows WHERE stream = ${quoteString(stream)} AND dimension = 'global' ORDER BY s`)).map((r) => r.s * 1000);

test('the worker charts replayed history exactly as its stages do in memory; breaches reach the topic and ClickHouse', async () => {
  const { config } = scenario('agree');
  const events = history(30, ['failure-spike:origin=xlsx-import,magnitude=0.5@+20m/5m']);
  const expected = runInMemory(events, { partitions: PARTITIONS, ...monitorOptions(config.anomaly, PARTITIONS), delivery: 'interleaved' });
  const expectedBreaches = expected.flatMap((w) => w.breaches);
  expect(expectedBreaches.some((b) => b.chart === 'failure_rate' && b.dimension === 'origin=xlsx-import')).toBe(true);

  const producer = await rawProducer(config);
  // In chunks under the producer's queue bound: 30 minutes of traffic near the weekly peak exceed it.
  for (let i = 0; i < events.length; i += 50_000) await producer.send(events.slice(i, i + 50_000));
  await producer.close();
  const worker = await startAnomalyWorker(config, log, { instanceId: 'agree', metricsPort: 0 });
  try {
    const stream = config.topics.uploadEvents;
    const lastExpected = expected[expected.length - 1].start;
    await eventually('the worker to chart every window the in-memory run closed', async () => ((await globalWindows(stream)).includes(lastExpected) ? true : undefined), 90_000);

    const charted = await rows<{ s: number; events: string; failures: string }>(
      `SELECT toUInt32(window_start) AS s, argMax(events, written_at) AS events, argMax(failures, written_at) AS failures FROM ${db}.chart_windows WHERE stream = ${quoteString(stream)} AND dimension = 'global' GROUP BY s ORDER BY s`,
    );
    const byStart = new Map(charted.map((r) => [r.s * 1000, r]));
    for (const w of expected) {
      const g = w.dimensions.find((d) => d.dimension === 'global');
      expect({ start: w.start, events: Number(byStart.get(w.start)?.events), failures: Number(byStart.get(w.start)?.failures) }).toEqual({ start: w.start, events: g?.events, failures: g?.failures });
    }

    const stored = await rows<{ anomaly_id: string }>(`SELECT DISTINCT anomaly_id FROM ${db}.anomalies WHERE stream = ${quoteString(stream)} AND window_start <= toDateTime(${lastExpected / 1000})`);
    expect(stored.map((r) => r.anomaly_id).sort()).toEqual(expectedBreaches.map(breachId).sort());

    const registry = createSchemaRegistry(config.schemaRegistryUrl);
    const topic = config.anomaly.anomaliesTopic;
    const fromStart = (await admin.fetchTopicOffsets(topic)).map(({ partition }) => ({ partition, offset: '0' }));
    const wanted = stored.map((r) => r.anomaly_id);
    const records = await collectFrom(kafka, topic, fromStart, async (m) => ((await registry.decode(m.value!)) as { id: string }).id, (ids) => wanted.every((id) => ids.includes(id)));
    expect(records.filter((id) => wanted.includes(id)).sort()).toEqual([...wanted].sort());
    expect(worker.isLeader()).toBe(true);
  } finally {
    await worker.stop();
  }
});

const leaderGauge = async (port: number): Promise<number | undefined> => {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const m = /^upload_pulse_anomaly_leader (\d+)/m.exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
};

test('three workers: SIGKILLing the leader elects exactly one new leader within the session timeout, with no gap in the global chart', async () => {
  const { config, env } = scenario('failover');
  const events = history(40);
  const half = events.findIndex((e) => e.ts >= events[0].ts + 20n * 60_000_000_000n);
  const producer = await rawProducer(config);
  const workers = await Promise.all(
    [1, 2, 3].map(async () => {
      const port = await freePort();
      const service = spawnService('consumers/anomaly/main.ts', { ...env, ANOMALY_METRICS_PORT: String(port) });
      await service.logged('anomaly worker started', 1, 60_000);
      return { ...service, port };
    }),
  );
  const leaders = async (list: typeof workers) => (await Promise.all(list.map((w) => leaderGauge(w.port)))).filter((v) => v === 1).length;
  await eventually('exactly one leader of three', async () => ((await leaders(workers)) === 1 ? true : undefined), 60_000);

  await producer.send(events.slice(0, half));
  const stream = config.topics.uploadEvents;
  const firstHalfEnd = Number(events[half].ts / 1_000_000n) - WINDOW_MS;
  await eventually('the first half charted', async () => ((await globalWindows(stream)).some((s) => s >= firstHalfEnd - WINDOW_MS) ? true : undefined), 90_000);

  const gauges = await Promise.all(workers.map((w) => leaderGauge(w.port)));
  const leader = workers[gauges.indexOf(1)];
  leader.child.kill('SIGKILL');
  const killedAt = Date.now();
  await producer.send(events.slice(half));
  await producer.close();
  const rest = workers.filter((w) => w !== leader);
  await eventually('one new leader', async () => ((await leaders(rest)) === 1 ? true : undefined), 40_000);
  const electedAfterMs = Date.now() - killedAt;
  // The group notices the dead member after the session timeout (10 s), then rebalances.
  expect(electedAfterMs).toBeLessThan(25_000);

  const lastEnd = Number(events[events.length - 1].ts / 1_000_000n);
  await eventually('the second half charted', async () => ((await globalWindows(stream)).some((s) => s >= lastEnd - 2 * WINDOW_MS) ? true : undefined), 120_000);
  const starts = await globalWindows(stream);
  const gaps = starts.slice(1).filter((s, i) => s - starts[i] !== WINDOW_MS);
  expect(gaps).toEqual([]);
  expect(starts[0]).toBeLessThanOrEqual(Number(events[0].ts / 1_000_000n));
  expect(await leaders(rest)).toBe(1);
  for (const w of rest) w.child.kill('SIGTERM');
  await Promise.all(rest.map((w) => w.exited));
});
