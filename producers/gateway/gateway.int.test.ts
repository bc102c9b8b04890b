import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Admin, Kafka } from 'kafkajs';
import { loadEnv, serviceConfig } from '../../lib/config';
import { createKafka } from '../../lib/kafka';
import { createLogger } from '../../lib/logger';
import { eventJson, nowNs, sampleEvent } from '../../schemas/event-fixtures';
import type { UploadEvent } from '../../schemas/upload-event';
import { collectFrom, endOffsets } from '../../test/kafka-helpers';
import { testStack, uniqueName } from '../../test/stack-env';
import { createSchemaRegistry } from '../schema-registry';

/** The running gateway (started by the stack) writing to the real Kafka through the real registry. */

const config = serviceConfig(loadEnv());
const topic = config.topics.uploadEvents;
let gateway: string;
let kafka: Kafka;
let admin: Admin;
let registry: SchemaRegistry;

beforeAll(async () => {
  const stack = await testStack();
  gateway = stack.status.components.gateway.url;
  kafka = createKafka('gateway-test', stack.status.components.kafka.bootstrap.split(','), createLogger('gateway-test'));
  admin = kafka.admin();
  await admin.connect();
  registry = createSchemaRegistry(stack.status.components.schemaRegistry.url);
});
afterAll(() => admin.disconnect());

const post = (body: string) => fetch(`${gateway}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
const readEvents = (from: Awaited<ReturnType<typeof endOffsets>>, done: (events: { key: string; event: UploadEvent }[]) => boolean) =>
  collectFrom(kafka, topic, from, async (m) => ({ key: String(m.key), event: (await registry.decode(m.value!)) as UploadEvent }), done);

test('the topic exists with the configured partitions, replication and retention', async () => {
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  const brokers = (await admin.describeCluster()).brokers.length;
  expect(meta.topics[0].partitions).toHaveLength(config.topics.partitions);
  expect(new Set(meta.topics[0].partitions.map((p) => p.replicas.length))).toEqual(new Set([Math.min(3, brokers)]));
  const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic, configNames: ['retention.ms'] }] });
  expect(described.resources[0].configEntries[0].configValue).toBe(String(config.topics.retentionMs));
});

test('an event stamped up to a day ahead of the clock is accepted by the broker as by validation', async () => {
  const ts = nowNs() + 23n * 3600n * 1_000_000_000n;
  const res = await post(eventJson(sampleEvent({ attempt_id: uniqueName('clock-skew'), ts, up_ts: ts - 1n })));
  expect(await res.json()).toEqual({ accepted: 1 });
});

test('nanosecond timestamps and 64-bit ids survive gateway -> Kafka exactly, keyed by seller', async () => {
  const from = await endOffsets(admin, topic);
  const attempt = uniqueName('precision');
  const ts = 1764212345123456789n;
  const sent = sampleEvent({ attempt_id: attempt, ts, up_ts: ts - 1n, id: 1764212345123456789n });
  const res = await post(eventJson(sent));
  expect(res.status).toBe(202);
  expect(await res.json()).toEqual({ accepted: 1 });
  const [got] = (await readEvents(from, (events) => events.some((e) => e.event.attempt_id === attempt))).filter((e) => e.event.attempt_id === attempt);
  expect(got.key).toBe('9007199254740993');
  expect(got.event.ts).toBe(1764212345123456789n);
  expect(got.event.id).toBe(1764212345123456789n);
  expect(got.event.data.company_id).toBe(9007199254740993n);
  expect({ ...got.event, data: { ...got.event.data } }).toEqual(expect.objectContaining({ attempt_id: attempt, up_ts: ts - 1n, country: 'RU' }));
});

test('a request with one invalid event writes none of its events', async () => {
  const from = await endOffsets(admin, topic);
  const rejected = uniqueName('rejected');
  const marker = uniqueName('marker');
  const bad = await post(eventJson([sampleEvent({ attempt_id: rejected }), { ...sampleEvent({ attempt_id: rejected }), event: 'DELETE' }]));
  expect(bad.status).toBe(400);
  expect(await post(eventJson(sampleEvent({ attempt_id: marker })))).toHaveProperty('status', 202);
  // Per-seller ordering: the marker comes after anything the rejected request could have written.
  const events = await readEvents(from, (all) => all.some((e) => e.event.attempt_id === marker));
  expect(events.filter((e) => e.event.attempt_id === rejected)).toEqual([]);
});

test('readiness reports Kafka and the registry reachable; metrics are exposed', async () => {
  expect((await fetch(`${gateway}/readyz`)).status).toBe(200);
  const metrics = await (await fetch(`${gateway}/metrics`)).text();
  expect(metrics).toMatch(/upload_pulse_producer_events_total\{[^}]*result="acked"[^}]*\} [1-9]/);
  expect(metrics).toMatch(/upload_pulse_gateway_request_seconds_bucket/);
});

/** Events the gateway's producers acknowledged, by delivery (idempotent or transactional). */
async function ackedByDelivery(): Promise<Record<string, number>> {
  const text = await (await fetch(`${gateway}/metrics`)).text();
  const acked: Record<string, number> = {};
  for (const m of text.matchAll(/^upload_pulse_producer_events_total\{([^}]*)\} (\d+)/gm)) {
    const delivery = /delivery="(\w+)"/.exec(m[1])?.[1];
    if (delivery && m[1].includes('result="acked"')) acked[delivery] = Number(m[2]);
  }
  return acked;
}

test('a one-seller request is written as one record batch; a request of several sellers in one transaction', async () => {
  const attempt = uniqueName('delivery');
  const before = await ackedByDelivery();
  const seller = (company_id: bigint, i: number) => sampleEvent({ attempt_id: `${attempt}-${i}`, data: { company_id, info: '{}', media: [] } });
  expect(await post(eventJson([seller(11n, 0), seller(11n, 1), seller(11n, 2)]))).toHaveProperty('status', 202);
  const afterOne = await ackedByDelivery();
  expect(await post(eventJson([seller(11n, 3), seller(12n, 4), seller(13n, 5)]))).toHaveProperty('status', 202);
  const afterMany = await ackedByDelivery();
  // Other tests' requests may interleave; this file runs its tests one after another.
  expect((afterOne.idempotent ?? 0) - (before.idempotent ?? 0)).toBe(3);
  expect((afterOne.transactional ?? 0) - (before.transactional ?? 0)).toBe(0);
  expect((afterMany.transactional ?? 0) - (afterOne.transactional ?? 0)).toBe(3);
  expect((afterMany.idempotent ?? 0) - (afterOne.idempotent ?? 0)).toBe(0);
});

test('random JSON never crashes the gateway, never gets a 5xx, and never writes', async () => {
  const from = await endOffsets(admin, topic);
  const marker = uniqueName('fuzz-marker');
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const atoms = [null, true, 0, -1, 1.5, 2 ** 63, '', 'SAVE', 'RU', '\u0000', '{}', [], {}];
  const randomValue = (depth: number): unknown => {
    const r = rand();
    if (depth > 2 || r < 0.5) return atoms[Math.floor(rand() * atoms.length)];
    if (r < 0.7) return Array.from({ length: Math.floor(rand() * 3) }, () => randomValue(depth + 1));
    const base: Record<string, unknown> = rand() < 0.5 ? { ...JSON.parse(eventJson(sampleEvent({ attempt_id: marker }))) } : {};
    const keys = [...Object.keys(base), 'id', 'event', 'data', 'x'];
    for (let i = 0; i < 3; i++) base[keys[Math.floor(rand() * keys.length)]] = randomValue(depth + 1);
    return base;
  };
  const statuses = new Set<number>();
  for (let i = 0; i < 150; i++) {
    const value = randomValue(0);
    const res = await post(JSON.stringify(value));
    statuses.add(res.status);
    if (res.status === 202) throw new Error(`random body accepted: ${JSON.stringify(value)}`);
    expect(res.status).toBeLessThan(500);
  }
  expect([...statuses].every((s) => s === 400)).toBe(true);
  expect(await post(eventJson(sampleEvent({ attempt_id: `${marker}-end` })))).toHaveProperty('status', 202);
  const events = await readEvents(from, (all) => all.some((e) => e.event.attempt_id === `${marker}-end`));
  expect(events.filter((e) => e.event.attempt_id === marker)).toEqual([]);
});
