import crypto from 'node:crypto';
import { Partitioners, type Admin, type IHeaders, type Kafka, type KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { loadEnv, serviceConfig, type ServiceConfig } from '../../lib/config';
import { createKafka } from '../../lib/kafka';
import { ensureTopic } from '../../lib/topics';
import { EventProducer } from '../../producers/event-producer';
import { createSchemaRegistry, registerUploadEventSchema } from '../../producers/schema-registry';
import { uploadEventsTopic } from '../../producers/topics';
import { sampleEvent } from '../../schemas/event-fixtures';
import type { UploadEvent } from '../../schemas/upload-event';
import { freePort, killChildren, spawnService } from '../../test/child-service';
import { eventually, testStack, uniqueName } from '../../test/stack-env';
import { DLQ_HEADERS } from './curate-batch';
import { startCurateWorker, type CurateWorker } from './worker';

/**
 * The curate stage against the real broker, registry and ZooKeeper: exactly the unique valid
 * events reach the curated topic, read as a read_committed consumer such as ClickHouse reads it,
 * and bad ones reach the DLQ, whether one worker runs, two share the partitions, or one is killed.
 */

const log = pino({ level: 'warn' });
const PARTITIONS = 4;
let kafka: Kafka;
let admin: Admin;
let base: ServiceConfig;
let stackEnv: Record<string, string>;
const createdTopics: string[] = [];

beforeAll(async () => {
  const { status } = await testStack();
  stackEnv = {
    KAFKA_BROKERS: status.components.kafka.bootstrap,
    SCHEMA_REGISTRY_URL: status.components.schemaRegistry.url,
    ZOOKEEPER_CONNECT: status.components.zookeeper.connect,
    SERVICE_HOST: '127.0.0.1',
    TOPIC_PARTITIONS: String(PARTITIONS),
  };
  base = serviceConfig(loadEnv({ ...process.env, ...stackEnv }));
  kafka = createKafka('curate-test', base.kafkaBrokers, log);
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  killChildren();
  await admin.deleteTopics({ topics: createdTopics }).catch(() => undefined);
  await admin.disconnect();
});

/** Topics and group of one test, unique per run; the same names as config (in-process) and as env (child process). */
function scenario(name: string) {
  const id = uniqueName(`curate-${name}`);
  const config: ServiceConfig = {
    ...base,
    topics: { ...base.topics, uploadEvents: `${id}.raw`, curated: `${id}.curated`, dlq: `${id}.dlq` },
    curate: { ...base.curate, group: `${id}.group`, metricsPort: 0 },
  };
  createdTopics.push(config.topics.uploadEvents, config.topics.curated, config.topics.dlq);
  const env = {
    ...stackEnv,
    UPLOAD_EVENTS_TOPIC: config.topics.uploadEvents,
    CURATED_TOPIC: config.topics.curated,
    DLQ_TOPIC: config.topics.dlq,
    CURATE_GROUP: config.curate.group,
  };
  return { config, env };
}

/** The raw topic, its schema, and the real producer library writing to it. */
async function rawProducer(config: ServiceConfig) {
  const topic = config.topics.uploadEvents;
  await ensureTopic(admin, uploadEventsTopic(config));
  const registry = createSchemaRegistry(config.schemaRegistryUrl);
  const schemaId = await registerUploadEventSchema(registry, topic);
  const producer = new EventProducer({ kafka, registry, topic, schemaId, metrics: new Registry(), log, ...config.producer });
  await producer.connect();
  return { producer, schemaId };
}

const SELLERS = 97;
const events = (prefix: string, n: number): UploadEvent[] =>
  Array.from({ length: n }, (_, i) => sampleEvent({ id: BigInt(i + 1), attempt_id: `${prefix}-${i}`, data: { company_id: 9007199254740993n + BigInt(i % SELLERS), info: '{}', media: [] } }));

/** Waits until the group's committed offsets reach the end of the raw topic: everything consumed is committed. */
async function caughtUp(config: ServiceConfig, timeoutMs = 60_000): Promise<void> {
  const topic = config.topics.uploadEvents;
  await eventually(`group ${config.curate.group} committed to the end of ${topic}`, async () => {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId: config.curate.group, topics: [topic] });
    const at = (p: number) => BigInt(committed.partitions.find((c) => c.partition === p)?.offset ?? '-1');
    return ends.every((e) => e.offset === '0' || at(e.partition) >= BigInt(e.offset)) ? true : undefined;
  }, timeoutMs);
}

/**
 * Everything in `topic`, read from the start by a fresh group until at least `atLeast` records came
 * and the reader reached the end of every partition (so extra records would have shown up too).
 * kafkajs consumers are read_committed unless told otherwise.
 */
async function readAll(topic: string, atLeast: number, opts: { readUncommitted?: boolean } = {}): Promise<KafkaMessage[]> {
  // A short fetch wait: disconnecting waits for the fetch in flight.
  const consumer = kafka.consumer({ groupId: `curate-test-reader-${crypto.randomBytes(6).toString('hex')}`, readUncommitted: opts.readUncommitted ?? false, maxWaitTimeInMs: 200 });
  const got: KafkaMessage[] = [];
  const position = new Map<number, bigint>();
  // Batch-end events also come for batches holding only transaction markers, which eachBatch never sees.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => position.set(payload.partition, BigInt(payload.lastOffset) + 1n));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachBatch: async ({ batch }) => void got.push(...batch.messages) });
  try {
    await eventually(`${atLeast} records and the end of ${topic}`, async () => {
      if (got.length < atLeast) return undefined;
      const ends = await admin.fetchTopicOffsets(topic);
      return ends.every((e) => BigInt(e.offset) <= (position.get(e.partition) ?? 0n)) ? true : undefined;
    }, 60_000);
  } finally {
    await consumer.disconnect();
  }
  return got;
}

const attemptOf = (m: KafkaMessage): string => (JSON.parse(m.value!.toString()) as { attempt_id: string }).attempt_id;
const header = (headers: IHeaders | undefined, name: string): string | undefined => headers?.[name]?.toString();
const sorted = (xs: string[]) => [...xs].sort();

const counter = async (worker: CurateWorker, name: string): Promise<number> => (await worker.metrics.getSingleMetric(name)?.get())?.values.reduce((n, v) => n + v.value, 0) ?? 0;

test('5000 raw messages: unique valid events curated once, repeats dropped, bad ones dead-lettered with reasons', async () => {
  const { config } = scenario('exact');
  const worker = await startCurateWorker(config, log, { instanceId: 'exact' });
  try {
    const { producer, schemaId } = await rawProducer(config);
    const precise = sampleEvent({ attempt_id: 'precise', ts: 1764212345123456789n, up_ts: 1764212344323456789n });
    const valid = [precise, ...events('exact', 4904)];
    const lowercase = events('lower', 20).map((e) => ({ ...e, country: 'ru' }));
    await producer.send([...valid, ...lowercase]);
    // Exact re-sends, as a client retrying after a 503 would: after the originals, same key and partition.
    const repeats = [precise, ...valid.slice(1, 50)];
    await producer.send(repeats);
    await producer.close();

    const body = (await createSchemaRegistry(config.schemaRegistryUrl).encode(schemaId, valid[1])).subarray(5);
    const wire = (id: number, bytes: Buffer) => Buffer.concat([Buffer.from([0, id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255]), bytes]);
    const garbage = Array.from({ length: 10 }, (_, i) => Buffer.from(`not avro ${i}`));
    const unknownSchema = Array.from({ length: 5 }, () => wire(0x7ffffff0, body));
    const corrupt = Array.from({ length: 10 }, (_, i) => wire(schemaId, body.subarray(0, 10 + i)));
    const bytes = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await bytes.connect();
    await bytes.send({ topic: config.topics.uploadEvents, acks: -1, messages: [...garbage, ...unknownSchema, ...corrupt].map((value, i) => ({ key: `bad-${i}`, value })) });
    await bytes.disconnect();
    const total = valid.length + lowercase.length + repeats.length + garbage.length + unknownSchema.length + corrupt.length;
    expect(total).toBe(5000);

    await caughtUp(config);
    const curated = await readAll(config.topics.curated, valid.length);
    expect(curated).toHaveLength(valid.length);
    expect(sorted(curated.map(attemptOf))).toEqual(sorted(valid.map((e) => e.attempt_id)));
    const preciseRow = curated.find((m) => attemptOf(m) === 'precise')!;
    expect(preciseRow.value!.toString()).toContain('"ts":1764212345123456789');
    expect(preciseRow.key!.toString()).toBe('9007199254740993');

    const dlq = await readAll(config.topics.dlq, 45);
    const reasons: Record<string, number> = {};
    for (const m of dlq) reasons[header(m.headers, DLQ_HEADERS.reason)!] = (reasons[header(m.headers, DLQ_HEADERS.reason)!] ?? 0) + 1;
    expect(reasons).toEqual({ 'invalid-event': 20, 'bad-wire-format': 10, 'unknown-schema': 5, 'corrupt-avro': 10 });
    const lower = dlq.find((m) => header(m.headers, DLQ_HEADERS.reason) === 'invalid-event')!;
    expect(header(lower.headers, DLQ_HEADERS.detail)).toMatch(/^country: must be an ISO 3166-1 alpha-2 code/);
    expect(header(lower.headers, DLQ_HEADERS.sourceTopic)).toBe(config.topics.uploadEvents);
    expect(header(lower.headers, DLQ_HEADERS.offset)).toMatch(/^\d+$/);
    // The original bytes, unchanged.
    expect(sorted(dlq.filter((m) => header(m.headers, DLQ_HEADERS.reason) === 'bad-wire-format').map((m) => m.value!.toString()))).toEqual(sorted(garbage.map(String)));

    const text = await (await fetch(worker.metricsUrl)).text();
    expect(text).toMatch(/^upload_pulse_curate_consumed_total 5000$/m);
    expect(text).toMatch(/^upload_pulse_curate_curated_total 4905$/m);
    expect(text).toMatch(/^upload_pulse_curate_duplicates_total 50$/m);
    expect(text).toMatch(/^upload_pulse_curate_dlq_total\{reason="corrupt-avro"\} 10$/m);
  } finally {
    await worker.stop();
  }
});

test('two workers in one group share the partitions, and together curate every event exactly once', async () => {
  const { config } = scenario('shared');
  const { producer } = await rawProducer(config);
  const a = await startCurateWorker(config, log, { instanceId: 'a' });
  const b = await startCurateWorker(config, log, { instanceId: 'b' });
  try {
    await eventually('both workers own partitions', async () => {
      const [pa, pb] = [a.assignedPartitions(), b.assignedPartitions()];
      return pa.length > 0 && pb.length > 0 && sorted([...pa, ...pb].map(String)).join() === '0,1,2,3' ? true : undefined;
    });
    const sent = events('shared', 4000);
    await producer.send(sent);
    await producer.send(sent.slice(0, 40));
    await producer.close();

    await caughtUp(config);
    const curated = await readAll(config.topics.curated, sent.length);
    expect(sorted(curated.map(attemptOf))).toEqual(sorted(sent.map((e) => e.attempt_id)));
    const [consumedA, consumedB] = [await counter(a, 'upload_pulse_curate_consumed_total'), await counter(b, 'upload_pulse_curate_consumed_total')];
    expect(consumedA).toBeGreaterThan(0);
    expect(consumedB).toBeGreaterThan(0);
    expect(consumedA + consumedB).toBe(4040);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test('a worker killed with SIGKILL mid-stream: its successor leaves neither gaps nor duplicates', async () => {
  const { config, env } = scenario('kill');
  const { producer } = await rawProducer(config);
  const first = spawnService('consumers/curate/main.ts', { ...env, CURATE_METRICS_PORT: String(await freePort()) });
  await first.logged('curate worker started');

  // Events keep coming while the worker dies and its successor takes over.
  const sent = events('kill', 8000);
  const producing = (async () => {
    for (let i = 0; i < sent.length; i += 200) {
      await producer.send(sent.slice(i, i + 200));
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  // Frozen right after a batch's records are in the log. If its offsets are still not committed a
  // second later (a commit already sent would have completed), the transaction is open: kill it
  // there. Otherwise it had committed; let it go on and try a later batch.
  for (let attempt = 1; ; attempt++) {
    const line = await first.logged('transaction open: records written, sending offsets', attempt === 1 ? 5 : 1);
    first.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 1000));
    const [committed] = await admin.fetchOffsets({ groupId: config.curate.group, topics: [config.topics.uploadEvents] });
    const offset = BigInt(committed.partitions.find((p) => p.partition === line.partition)!.offset);
    if (offset <= BigInt(line.to!)) break;
    first.child.kill('SIGCONT');
    expect(attempt).toBeLessThan(5);
  }
  first.child.kill('SIGKILL');
  await first.exited;

  const second = spawnService('consumers/curate/main.ts', { ...env, CURATE_METRICS_PORT: String(await freePort()) });
  try {
    await producing;
    await producer.close();
    await caughtUp(config, 90_000);
    const curated = await readAll(config.topics.curated, sent.length);
    expect(curated).toHaveLength(sent.length);
    expect(sorted(curated.map(attemptOf))).toEqual(sorted(sent.map((e) => e.attempt_id)));
    // The killed transaction's records are in the log, aborted by the successor: read_uncommitted readers see them.
    const uncommitted = await readAll(config.topics.curated, sent.length, { readUncommitted: true });
    expect(uncommitted.length).toBeGreaterThan(sent.length);
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
  }
});

test('SIGTERM mid-stream: the worker commits the batch in hand and exits 0; its successor starts where it stopped', async () => {
  const { config, env } = scenario('term');
  const { producer } = await rawProducer(config);
  const worker = spawnService('consumers/curate/main.ts', { ...env, CURATE_METRICS_PORT: String(await freePort()) });
  await worker.logged('curate worker started');
  const before = events('before', 4000);
  const sending = (async () => {
    for (let i = 0; i < before.length; i += 200) {
      await producer.send(before.slice(i, i + 200));
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await worker.logged('transaction open: records written, sending offsets', 3);
  worker.child.kill('SIGTERM');
  expect(await worker.exited).toBe(0);
  await sending;
  // Commits return before their markers are written; give those a moment before reading offsets.
  await new Promise((r) => setTimeout(r, 500));
  const [committed] = await admin.fetchOffsets({ groupId: config.curate.group, topics: [config.topics.uploadEvents] });
  const done = committed.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  expect(done).toBeGreaterThan(0);

  const successor = await startCurateWorker(config, log, { instanceId: 'successor' });
  try {
    await producer.send(events('after', 500));
    await producer.close();
    await caughtUp(config);
    const curated = await readAll(config.topics.curated, 4500);
    expect(sorted(curated.map(attemptOf))).toEqual(sorted([...before, ...events('after', 500)].map((e) => e.attempt_id)));
    // Nothing the first worker committed is consumed again.
    expect(await counter(successor, 'upload_pulse_curate_consumed_total')).toBe(4500 - done);
  } finally {
    await successor.stop();
  }
});
