import type { Admin, Kafka } from 'kafkajs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createKafka } from '../lib/kafka';
import { sampleEvent } from '../schemas/event-fixtures';
import { testStack, uniqueName } from '../test/stack-env';
import { EventProducer, QueueFullError, type EventProducerOptions } from './event-producer';
import { createSchemaRegistry, registerUploadEventSchema } from './schema-registry';
import { loadEnv, serviceConfig } from '../lib/config';
import { ensureTopic } from '../lib/topics';
import { uploadEventsTopic } from './topics';

/** The producer library against the real broker and registry. */

const log = pino({ level: 'warn' });
let kafka: Kafka;
let admin: Admin;
let registryUrl: string;

beforeAll(async () => {
  const stack = await testStack();
  kafka = createKafka('producer-test', stack.status.components.kafka.bootstrap.split(','), log);
  admin = kafka.admin();
  await admin.connect();
  registryUrl = stack.status.components.schemaRegistry.url;
});
afterAll(() => admin.disconnect());

async function producerOn(topic: string, overrides: Partial<EventProducerOptions> = {}) {
  await ensureTopic(admin, uploadEventsTopic(serviceConfig(loadEnv()), topic));
  const registry = createSchemaRegistry(registryUrl);
  const schemaId = await registerUploadEventSchema(registry, topic);
  const metrics = new Registry();
  const producer = new EventProducer({ kafka, registry, topic, schemaId, metrics, log, maxQueuedEvents: 100_000, maxBatch: 2000, lingerMs: 5, compression: 'gzip', compressFromEvents: 1, sendTimeoutMs: 10_000, ...overrides });
  await producer.connect();
  return { producer, metrics };
}

const storedCount = async (topic: string) => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
const events = (n: number, attempt: string) => Array.from({ length: n }, (_, i) => sampleEvent({ attempt_id: `${attempt}-${i}`, id: BigInt(i + 1), data: { company_id: BigInt((i % 97) + 1), info: '{}', media: [] } }));

test('every event sent is acknowledged and stored once, spread over partitions by seller', async () => {
  const topic = uniqueName('producer');
  const { producer, metrics } = await producerOn(topic);
  await Promise.all([producer.send(events(7000, 'a')), producer.send(events(5000, 'b')), producer.send(events(1, 'c'))]);
  expect(producer.pending).toBe(0);
  await producer.close();
  expect(await storedCount(topic)).toBe(12001);
  const partitionsUsed = (await admin.fetchTopicOffsets(topic)).filter((p) => Number(p.high) > 0).length;
  expect(partitionsUsed).toBeGreaterThan(6);
  expect(await metrics.getSingleMetricAsString('upload_pulse_producer_events_total')).toMatch(/result="acked"\} 12001/);
});

test('a send beyond the queue bound is refused at once; what was accepted is still delivered', async () => {
  const topic = uniqueName('producer-full');
  const { producer } = await producerOn(topic, { maxQueuedEvents: 1000, lingerMs: 50 });
  const accepted = producer.send(events(800, 'ok'));
  await expect(producer.send(events(300, 'too-many'))).rejects.toBeInstanceOf(QueueFullError);
  await accepted;
  await producer.close();
  expect(await storedCount(topic)).toBe(800);
});

test('close() flushes events still queued before disconnecting', async () => {
  const topic = uniqueName('producer-close');
  const { producer } = await producerOn(topic, { lingerMs: 60_000, maxBatch: 100_000 });
  const pending = producer.send(events(2500, 'late'));
  await producer.close();
  await pending;
  expect(await storedCount(topic)).toBe(2500);
});
