import { type ClickHouseClient } from '@clickhouse/client';
import type { Admin, Kafka } from 'kafkajs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { CLUSTER, dropDatabase } from '../../clickhouse-ddl/migrate';
import { createClickHouse } from '../../lib/clickhouse';
import { createKafka } from '../../lib/kafka';
import { ensureTopic } from '../../lib/topics';
import { createTraffic } from '../../producers/simulator/model';
import { curate, curatedRow } from '../../schemas/curated-event';
import { scratchDatabase, eventually, testStack, uniqueName } from '../../test/stack-env';
import { lagProbe } from './lag-probe';
import { storageProbe } from './storage-probe';

/** The maintenance probes against the real ClickHouse and Kafka, each in a database and topic of its own. */

const log = pino({ level: 'warn' });
let ch: ClickHouseClient;
let kafka: Kafka;
let admin: Admin;
let db: string;

const signal = new AbortController().signal;
const sample = async (registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> => {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value;
};
const rows = async <T>(query: string): Promise<T[]> => (await ch.query({ query, format: 'JSONEachRow' })).json<T>();

beforeAll(async () => {
  const stack = await testStack();
  ch = createClickHouse(stack.status.components.clickhouse.http[0]);
  kafka = createKafka('maintenance-probes-test', stack.status.components.kafka.bootstrap.split(','), log);
  admin = kafka.admin();
  await admin.connect();
  db = await scratchDatabase(ch, stack, 'it_probes');
});

afterAll(async () => {
  await dropDatabase(ch, db);
  await ch.close();
  await admin.disconnect();
});

test('the storage probe reports the rows of upload_events and the newest event time of today and yesterday', async () => {
  const registry = new Registry();
  const probe = storageProbe({ clickhouse: ch, database: db, cluster: CLUSTER, registry });
  await probe.run(signal);
  expect(await sample(registry, 'upload_pulse_stored_events')).toBe(0);
  // Nothing stored in the last two days: no newest time rather than 1970.
  expect(await sample(registry, 'upload_pulse_stored_latest_event_seconds')).toBeUndefined();

  const now = BigInt(Date.now()) * 1_000_000n;
  const minute = 60n * 1_000_000_000n;
  const recent = createTraffic({ seed: 11, start: now - 10n * minute, rate: 20 }).takeUntil(now - minute);
  const old = createTraffic({ seed: 12, start: now - 40n * 24n * 60n * minute, rate: 20 }).takeUntil(now - 40n * 24n * 60n * minute + 5n * minute);
  await ch.command({
    query: `INSERT INTO ${db}.upload_events FORMAT JSONEachRow\n${[...recent, ...old].map((e) => curatedRow(curate(e))).join('\n')}`,
    clickhouse_settings: { insert_distributed_sync: 1 },
  });

  const total = recent.length + old.length;
  // On the cluster topology a read may land on a replica still fetching the parts: wait for both readers.
  await eventually('count() to see every row', async () => {
    const [{ n }] = await rows<{ n: string }>(`SELECT toString(count()) AS n FROM ${db}.upload_events`);
    return Number(n) === total ? true : undefined;
  });
  // Same number as count() on the Distributed table, read from part metadata.
  const stored = await eventually('the probe to see every row', async () => {
    await probe.run(signal);
    const value = await sample(registry, 'upload_pulse_stored_events');
    return value === total ? value : undefined;
  });
  expect(stored).toBe(total);
  // The 40-day-old events are outside today and yesterday; the newest recent one is it.
  expect(await sample(registry, 'upload_pulse_stored_latest_event_seconds')).toBe(Math.max(...recent.map((e) => Number(e.ts / 1_000_000_000n))));
});

test('the lag probe sums end minus committed offsets per group and topic, and reports nothing for a group that never committed', async () => {
  const topic = uniqueName('lag-probe');
  await ensureTopic(admin, { topic, partitions: 3, retentionMs: 3600_000 });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [0, 1, 2].flatMap((partition) => Array.from({ length: 10 }, (_, i) => ({ partition, value: `m${i}` }))) });
  await producer.disconnect();
  const reading = uniqueName('lag-group');
  const idle = uniqueName('idle-group');
  // Partition 0 read up to 4, partition 1 to the end, partition 2 never committed: 6 + 0 + 10.
  await admin.setOffsets({ groupId: reading, topic, partitions: [{ partition: 0, offset: '4' }, { partition: 1, offset: '10' }] });

  const probeAdmin = kafka.admin();
  try {
    const registry = new Registry();
    const probe = lagProbe({ admin: probeAdmin, registry, targets: [{ group: reading, topic }, { group: idle, topic }] });
    await probe.run(signal);
    expect(await sample(registry, 'upload_pulse_consumer_lag', { group: reading, topic })).toBe(16);
    expect(await sample(registry, 'upload_pulse_consumer_lag', { group: idle, topic })).toBeUndefined();

    // The group reads on: the next run follows.
    await admin.setOffsets({ groupId: reading, topic, partitions: [{ partition: 0, offset: '10' }, { partition: 2, offset: '7' }] });
    await probe.run(signal);
    expect(await sample(registry, 'upload_pulse_consumer_lag', { group: reading, topic })).toBe(3);

    // A missing topic fails the run, but the other groups are still measured.
    const partial = new Registry();
    const withMissing = lagProbe({ admin: probeAdmin, registry: partial, targets: [{ group: reading, topic: uniqueName('missing') }, { group: reading, topic }] });
    await expect(withMissing.run(signal)).rejects.toThrow(/consumer lag not measured for/);
    expect(await sample(partial, 'upload_pulse_consumer_lag', { group: reading, topic })).toBe(3);
  } finally {
    await probeAdmin.disconnect();
  }
});
