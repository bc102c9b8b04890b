import { type ClickHouseClient } from '@clickhouse/client';
import { Partitioners, type Admin, type Kafka } from 'kafkajs';
import pino from 'pino';
import { createKafka } from '../lib/kafka';
import { curate, curatedRow } from '../schemas/curated-event';
import { sampleEvent } from '../schemas/event-fixtures';
import { createTraffic } from '../producers/simulator/model';
import { ensureTopic } from '../lib/topics';
import { eventually, testStack, uniqueName, type TestStack } from '../test/stack-env';
import { appliedVersions, dropDatabase, loadMigrations, migrate, type MigrationContext } from './migrate';
import { createClickHouse } from '../lib/clickhouse';
import { ingestServers } from '../stack/layout';

/**
 * The storage path from the curated topic on: migrations, the Kafka engine, the sharded and
 * replicated raw table, and rollups that agree with it. Everything in a database of its own.
 */

const log = pino({ level: 'warn' });
let stack: TestStack;
let kafka: Kafka;
let admin: Admin;
let ch: ClickHouseClient;
let ctx: MigrationContext;
let sent: number;

const rows = async <T>(client: ClickHouseClient, query: string): Promise<T[]> => (await client.query({ query, format: 'JSONEachRow' })).json<T>();

beforeAll(async () => {
  stack = await testStack();
  kafka = createKafka('storage-test', stack.status.components.kafka.bootstrap.split(','), log);
  admin = kafka.admin();
  await admin.connect();
  ch = createClickHouse(stack.status.components.clickhouse.http[0]);
  ctx = { db: uniqueName('it_storage'), kafka_brokers: stack.status.components.kafka.bootstrap, curated_topic: uniqueName('curated'), ingest_group: uniqueName('ch-ingest') };
  await ensureTopic(admin, { topic: ctx.curated_topic, partitions: 4, retentionMs: 3600_000 });
});

afterAll(async () => {
  await dropDatabase(ch, ctx.db);
  await ch.close();
  await admin.deleteTopics({ topics: [ctx.curated_topic] });
  await admin.disconnect();
});

test('migrations apply once, in order, on every server, and re-running applies nothing', async () => {
  const first = await migrate(ch, ctx, log);
  expect(first.applied).toEqual(loadMigrations(ctx).map((m) => m.version));
  const second = await migrate(ch, ctx, log);
  expect(second).toEqual({ applied: [], alreadyApplied: first.applied });
  const tablesOn = async (url: string) => {
    const node = createClickHouse(url);
    const tables = await rows<{ name: string }>(node, `SELECT name FROM system.tables WHERE database = '${ctx.db}' ORDER BY name`);
    await node.close();
    return tables.map((t) => t.name);
  };
  // Only the ingest servers consume the curated topic; only the shard servers hold rows.
  const { http, ingestHttp } = stack.status.components.clickhouse;
  for (const url of new Set([...http, ...ingestHttp])) {
    const [shard, ingest] = [http.includes(url), ingestHttp.includes(url)];
    const tables = await tablesOn(url);
    const wanted = ['upload_events', ...(shard ? ['upload_events_local', 'upload_rollup_1m', 'upload_rollup_1h'] : []), ...(ingest ? ['curated_events_queue', 'curated_events_mv'] : [])];
    const misplaced = [...(shard ? [] : ['upload_events_local']), ...(ingest ? [] : ['curated_events_queue', 'curated_events_mv'])];
    expect({ url, missing: wanted.filter((t) => !tables.includes(t)), misplaced: misplaced.filter((t) => tables.includes(t)) }).toEqual({ url, missing: [], misplaced: [] });
  }
  for (const url of http) {
    const node = createClickHouse(url);
    expect(await eventually(`migrations recorded on ${url}`, async () => {
      const versions = await appliedVersions(node, ctx.db);
      return versions.length === first.applied.length ? versions : undefined;
    }, 30000)).toEqual(first.applied);
    await node.close();
  }
});

test('curated rows become exact, queryable history through the Kafka engine', async () => {
  const start = BigInt(Date.parse('2026-11-26T10:00:00Z')) * 1_000_000n;
  const traffic = createTraffic({ seed: 11, start, rate: 150 });
  const events = [...traffic.takeUntil(start + 150n * 1_000_000_000n), sampleEvent({ attempt_id: 'precision', ts: 1764212345123456789n, up_ts: 1764212345000000000n })];
  // ClickHouse 18.16's Kafka engine is at-least-once across rebalances: produce only once every
  // server has joined the ingest group, so this test measures ingestion, not redelivery.
  await eventually('every ClickHouse ingest server in the ingest group', async () => {
    const { groups } = await admin.describeGroups([ctx.ingest_group]);
    return groups[0]?.state === 'Stable' && groups[0].members.length === ingestServers(stack.layout).length ? true : undefined;
  }, 60000);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let i = 0; i < events.length; i += 5000) {
    await producer.send({ topic: ctx.curated_topic, acks: -1, messages: events.slice(i, i + 5000).map((e) => ({ key: e.data.company_id.toString(), value: curatedRow(curate(e)) })) });
  }
  await producer.disconnect();
  sent = events.length;

  const count = await eventually('every row in upload_events', async () => {
    const [{ n }] = await rows<{ n: string }>(ch, `SELECT count() AS n FROM ${ctx.db}.upload_events`);
    return Number(n) >= sent ? Number(n) : undefined;
  }, 120000);
  expect(count).toBe(sent);
  const [exact] = await rows<Record<string, string>>(ch, `SELECT toString(ts) AS ts, toString(id) AS id, toString(seller_id) AS seller, latency_ms FROM ${ctx.db}.upload_events WHERE attempt_id = 'precision'`);
  expect(exact).toEqual({ ts: '1764212345123456789', id: '1764212345123456789', seller: '9007199254740993', latency_ms: 123.456789 });
});

type Window = { minute: string; total: string; errors: string; attempts: string; n: string; latency: number };
const close = (a: Window[], b: Window[]) =>
  a.length === b.length && a.every((w, i) => w.minute === b[i].minute && w.total === b[i].total && w.errors === b[i].errors && w.attempts === b[i].attempts && w.n === b[i].n && Math.abs(w.latency - b[i].latency) <= 1e-6 * Math.max(1, Math.abs(w.latency)));

// The all-seller rollups keep no distinct attempts, and their errors are the ERROR rows' events
// (`total`, not `events`: 18.16 would read the alias where the column is meant).
const SELLER = { errors: 'countIfMerge(errors)', attempts: 'toString(uniqExactMerge(attempts))', rawAttempts: 'toString(uniqExact(attempt_id))' };
const ALL = { errors: "countMergeIf(events, event = 'ERROR')", attempts: "'-'", rawAttempts: "'-'" };
test.each([
  ['upload_rollup_1m', 'event_minute', SELLER],
  ['upload_rollup_1h', 'toStartOfHour(event_minute)', SELLER],
  ['upload_rollup_all_1m', 'event_minute', ALL],
  ['upload_rollup_all_1h', 'toStartOfHour(event_minute)', ALL],
  ['upload_rollup_all_1d', 'toDateTime(intDiv(toUInt32(event_minute), 86400) * 86400)', ALL],
])('%s agrees with the raw table window by window', async (table, bucket, merge) => {
  const raw = await rows<Window>(ch, `SELECT toString(${bucket}) AS minute, toString(count()) AS total, toString(countIf(event = 'ERROR')) AS errors, ${merge.rawAttempts} AS attempts, toString(countIf(is_created = 1)) AS n, sumIf(latency_ms, is_created = 1) AS latency
    FROM ${ctx.db}.upload_events GROUP BY minute ORDER BY minute`);
  const rollup = await eventually(`${table} to catch up`, async () => {
    const r = await rows<Window>(ch, `SELECT toString(minute) AS minute, toString(countMerge(events)) AS total, toString(${merge.errors}) AS errors, ${merge.attempts} AS attempts, toString(countIfMerge(latency_n)) AS n, sumIfMerge(latency_sum) AS latency
      FROM ${ctx.db}.${table} GROUP BY minute ORDER BY minute`);
    return close(raw, r) ? r : undefined;
  }, 30000);
  expect(raw.length).toBeGreaterThan(0);
  expect(rollup.length).toBe(raw.length);
});

test('rows are balanced across shards and every replica of a shard holds the same rows', async () => {
  const nodes = stack.layout.clickhouse;
  const counts = await Promise.all(
    nodes.map(async (node) => {
      const client = createClickHouse(`http://127.0.0.1:${node.httpPort}`);
      const n = await eventually(`replica ${node.name} in sync`, async () => {
        await client.command({ query: `SYSTEM SYNC REPLICA ${ctx.db}.upload_events_local` });
        const [{ n: c }] = await rows<{ n: string }>(client, `SELECT count() AS n FROM ${ctx.db}.upload_events_local`);
        return Number(c);
      });
      await client.close();
      return { shard: node.shard, n };
    }),
  );
  const perShard = new Map<number, number[]>();
  counts.forEach(({ shard, n }) => perShard.set(shard, [...(perShard.get(shard) ?? []), n]));
  const shardTotals = [...perShard.values()].map((replicas) => {
    expect(new Set(replicas).size).toBe(1);
    return replicas[0];
  });
  expect(shardTotals.reduce((a, b) => a + b, 0)).toBe(sent);
  const mean = sent / shardTotals.length;
  for (const total of shardTotals) expect(Math.abs(total - mean) / mean).toBeLessThanOrEqual(0.1);
});
