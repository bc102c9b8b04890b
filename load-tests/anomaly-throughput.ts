import { Command } from 'commander';
import pino from 'pino';
import { Registry } from 'prom-client';
import { loadEnv, serviceConfig } from '../lib/config';
import { createKafka } from '../lib/kafka';
import { ensureTopic } from '../lib/topics';
import { EventProducer } from '../producers/event-producer';
import { createSchemaRegistry, registerUploadEventSchema } from '../producers/schema-registry';
import { createTraffic } from '../producers/simulator/model';
import { uploadEventsTopic } from '../producers/topics';
import type { UploadEvent } from '../schemas/upload-event';
import { runInMemory } from '../consumers/anomaly/in-memory-run';
import { monitorOptions } from '../consumers/anomaly/options';
import { startAnomalyWorker } from '../consumers/anomaly/worker';
import { report, runningStack } from './bench-env';

/**
 * The anomaly worker replaying history: --events simulated events at --rate (event time, ending
 * an hour ago) are written to a fresh raw topic first, then one worker instance reads them from
 * the start; the figure is events counted per second of the worker's wall time, from its first
 * counted event to its last. Baselines are ready after 10 windows here, so seller tests and
 * limits run for most of the replay. Next to it, the same stages in memory (no Kafka, no Avro).
 *   npm run bench:anomaly -- --events 1000000 --rate 500
 */

const opts = new Command('anomaly-throughput')
  .option('--events <n>', 'simulated events to replay', Number, 1_000_000)
  .option('--rate <events/s>', 'event-time rate of the simulated history (events per window = rate x 60)', Number, 500)
  .parse()
  .opts<{ events: number; rate: number }>();
const log = pino({ level: 'warn' });

async function main(): Promise<void> {
  const status = await runningStack();
  const id = `bench-anomaly-${Date.now().toString(36)}`;
  const config = serviceConfig(
    loadEnv({ ...process.env, KAFKA_BROKERS: status.components.kafka.bootstrap, SCHEMA_REGISTRY_URL: status.components.schemaRegistry.url, ZOOKEEPER_CONNECT: status.components.zookeeper.connect, CLICKHOUSE_URL: status.components.clickhouse.http[0], UPLOAD_EVENTS_TOPIC: `${id}.raw`, ANOMALY_GROUP: `${id}.group`, ANOMALY_PARTIALS_TOPIC: `${id}.partials`, ANOMALIES_TOPIC: `${id}.anomalies`, ANOMALY_MIN_BASELINE_WINDOWS: '10', ANOMALY_SELLER_HISTORY: 'none' }),
  );
  const kafka = createKafka('bench-anomaly', config.kafkaBrokers, log);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopic(admin, uploadEventsTopic(config));

  const rate = opts.rate;
  const start = BigInt(Date.now() - 3_600_000 - Math.ceil((opts.events / rate) * 1000)) * 1_000_000n;
  const history = (): UploadEvent[] => {
    const events: UploadEvent[] = [];
    for (const e of createTraffic({ seed: 3, start, rate })) {
      if (events.length >= opts.events) break;
      events.push(e);
    }
    return events;
  };
  let events = history();
  const total = events.length;
  const registry = createSchemaRegistry(config.schemaRegistryUrl);
  const producer = new EventProducer({ kafka, registry, topic: config.topics.uploadEvents, schemaId: await registerUploadEventSchema(registry, config.topics.uploadEvents), metrics: new Registry(), log, ...config.producer, maxQueuedEvents: events.length });
  await producer.connect();
  for (let i = 0; i < events.length; i += 50_000) await producer.send(events.slice(i, i + 50_000));
  await producer.close();
  // The worker runs with no history held in this process, as in production: a heap of half a
  // million retained events makes every garbage collection slower (they are generated again below).
  events = [];

  const worker = await startAnomalyWorker(config, log, { instanceId: 'bench', metricsPort: 0 });
  const counted = async () => (await worker.metrics.getSingleMetric('upload_pulse_anomaly_events_total')?.get())?.values.reduce((n, v) => n + v.value, 0) ?? 0;
  let first: { at: number; count: number } | undefined;
  let last = performance.now();
  let seen = 0;
  const deadline = Date.now() + 30 * 60_000;
  while (seen < total && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await counted();
    if (now > seen) {
      first ??= { at: performance.now(), count: now };
      last = performance.now();
      seen = now;
    }
  }
  const rss = process.memoryUsage().rss;
  await worker.stop();
  await admin.deleteTopics({ topics: [config.topics.uploadEvents, config.anomaly.partialsTopic, config.anomaly.anomaliesTopic] }).catch(() => undefined);
  await admin.disconnect();

  events = history();
  const memoryStarted = performance.now();
  runInMemory(events, { partitions: config.topics.partitions, ...monitorOptions(config.anomaly, config.topics.partitions), delivery: 'partition-at-a-time' });
  const memorySeconds = (performance.now() - memoryStarted) / 1000;
  // From the first poll that saw counting to the last: the events counted in between, over that time.
  const seconds = (last - (first?.at ?? last)) / 1000;
  report('anomaly-throughput', {
    topology: status.topology,
    rate,
    events: total,
    counted: seen,
    workerEventsPerSecond: seconds > 0 ? Math.round((seen - (first?.count ?? 0)) / seconds) : null,
    inMemoryEventsPerSecond: Math.round(events.length / memorySeconds),
    processRssMiB: Math.round(rss / 2 ** 20),
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
