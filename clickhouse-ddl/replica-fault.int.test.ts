import type { ClickHouseClient } from '@clickhouse/client';
import { Partitioners, type Admin, type Kafka } from 'kafkajs';
import pino from 'pino';
import { createClickHouse } from '../lib/clickhouse';
import { createKafka } from '../lib/kafka';
import { ensureTopic } from '../lib/topics';
import { curate, curatedRow } from '../schemas/curated-event';
import { createTraffic } from '../producers/simulator/model';
import { clickhouseProcesses } from '../stack/components/clickhouse';
import { runningPid, startProcess, waitHealthy } from '../stack/processes';
import { ingestServers } from '../stack/layout';
import { eventually, testStack, uniqueName, type TestStack } from '../test/stack-env';
import { dropDatabase, migrate, type MigrationContext } from './migrate';

/**
 * Fault: a ClickHouse server is SIGKILLed while rows flow in and started again. Afterwards every
 * replica of a shard holds the same rows and the deduplicated total equals what was sent (the
 * Kafka engine may deliver a block twice across the restart; ReplacingMergeTree collapses it).
 */

const log = pino({ level: 'warn' });
let stack: TestStack;
let kafka: Kafka;
let admin: Admin;
let ctx: MigrationContext;
let survivor: ClickHouseClient;

beforeAll(async () => {
  stack = await testStack();
  kafka = createKafka('replica-fault-test', stack.status.components.kafka.bootstrap.split(','), log);
  admin = kafka.admin();
  await admin.connect();
  ctx = { db: uniqueName('it_fault'), kafka_brokers: stack.status.components.kafka.bootstrap, curated_topic: uniqueName('curated-fault'), ingest_group: uniqueName('ch-fault') };
  await ensureTopic(admin, { topic: ctx.curated_topic, partitions: 4, retentionMs: 3600_000 });
  survivor = createClickHouse(stack.status.components.clickhouse.http[0]);
  await migrate(survivor, ctx, log);
});

afterAll(async () => {
  await dropDatabase(survivor, ctx.db);
  await survivor.close();
  await admin.deleteTopics({ topics: [ctx.curated_topic] });
  await admin.disconnect();
});

const dedupedCount = async (client: ClickHouseClient): Promise<number> => {
  await client.command({ query: `SYSTEM SYNC REPLICA ${ctx.db}.upload_events_local` });
  const rows = await (await client.query({ query: `SELECT count() AS n FROM ${ctx.db}.upload_events_local FINAL`, format: 'JSONEachRow' })).json<{ n: string }>();
  return Number(rows[0].n);
};

test('servers killed during ingestion come back and every shard converges to exact totals', async () => {
  await eventually('every ClickHouse ingest server in the ingest group', async () => {
    const { groups } = await admin.describeGroups([ctx.ingest_group]);
    return groups[0]?.state === 'Stable' && groups[0].members.length === ingestServers(stack.layout).length ? true : undefined;
  }, 60000);
  const start = BigInt(Date.parse('2026-11-26T12:00:00Z')) * 1_000_000n;
  const events = createTraffic({ seed: 21, start, rate: 100 }).takeUntil(start + 240n * 1_000_000_000n);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const send = async (slice: typeof events) => {
    for (let i = 0; i < slice.length; i += 1000) {
      await producer.send({ topic: ctx.curated_topic, acks: -1, messages: slice.slice(i, i + 1000).map((e) => ({ key: e.data.company_id.toString(), value: curatedRow(curate(e)) })) });
    }
  };

  // In the cluster a shard's second replica and an ingest server (its on-disk queue must still be
  // sent, its uncommitted blocks go to the other one); on the single topology the only server.
  const victimNames = new Set([stack.layout.clickhouse.at(-1)!.name, ingestServers(stack.layout).at(-1)!.name]);
  const victims = clickhouseProcesses(stack.layout).filter((p) => victimNames.has(p.name));
  const half = Math.floor(events.length / 2);
  try {
    await send(events.slice(0, half));
    for (const victim of victims) process.kill(runningPid(victim)!, 'SIGKILL');
    await send(events.slice(half));
  } finally {
    await producer.disconnect();
  }
  for (const victim of victims) {
    await startProcess(victim);
    await waitHealthy(victim, stack.layout.config.startTimeoutMs);
  }

  const nodes = stack.layout.clickhouse;
  const perNode = await eventually('every replica to hold every row', async () => {
    const counts = await Promise.all(
      nodes.map(async (node) => {
        const client = createClickHouse(`http://127.0.0.1:${node.httpPort}`);
        try {
          return { shard: node.shard, n: await dedupedCount(client) };
        } finally {
          await client.close();
        }
      }),
    );
    const firstOfShard = counts.filter((c, i) => counts.findIndex((d) => d.shard === c.shard) === i);
    const twinsAgree = counts.every((c) => c.n === firstOfShard.find((f) => f.shard === c.shard)!.n);
    return twinsAgree && firstOfShard.reduce((sum, c) => sum + c.n, 0) === events.length ? counts : undefined;
  }, 180000);
  for (const { shard, n } of perNode) expect(n).toBe(perNode.find((c) => c.shard === shard)!.n);
}, 300_000); // room for its own 180 s convergence wait after the restart (the 120 s default once cut it short)
