import crypto from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import pino from 'pino';
import { migrate } from '../clickhouse-ddl/migrate';
import { createClickHouse, queryRows } from '../lib/clickhouse';
import { loadEnv, stackConfig } from '../lib/config';
import { quoteString } from '../lib/sql';
import { layoutFor, type StackLayout } from '../stack/layout';
import { stackStatus, type StackStatus } from '../stack/stack';

/** What an integration test needs to reach the running stack. */
export interface TestStack { layout: StackLayout; status: StackStatus }

export async function testStack(): Promise<TestStack> {
  const config = stackConfig(loadEnv());
  return { layout: layoutFor(config), status: await stackStatus(config) };
}

/** Environment that points a project service started by a test (spawnService) at the running stack. */
export const serviceEnv = (status: StackStatus): Record<string, string> => ({
  KAFKA_BROKERS: status.components.kafka.bootstrap,
  SCHEMA_REGISTRY_URL: status.components.schemaRegistry.url,
  ZOOKEEPER_CONNECT: status.components.zookeeper.connect,
  CLICKHOUSE_URL: status.components.clickhouse.http[0],
  SERVICE_HOST: '127.0.0.1',
});

/** An anomaly worker on a raw topic, groups and output topics of its own, named from `id`. */
export const anomalyWorkerEnv = (id: string): Record<string, string> => ({
  UPLOAD_EVENTS_TOPIC: `${id}.raw`,
  ANOMALY_GROUP: `${id}.group`,
  ANOMALY_PARTIALS_TOPIC: `${id}.partials`,
  ANOMALIES_TOPIC: `${id}.anomalies`,
  // The rollups hold the default stream only: sellers' baselines start empty on another topic.
  ANOMALY_SELLER_HISTORY: 'none',
});

/** Names unique to one test file and run, so files never share topics or tables. */
export const uniqueName = (prefix: string): string => `${prefix}_${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A uniquely named database with every migration applied; its Kafka engine table reads a topic nobody writes. */
export async function scratchDatabase(ch: ClickHouseClient, stack: TestStack, prefix: string): Promise<string> {
  const db = uniqueName(prefix);
  await migrate(ch, { db, kafka_brokers: stack.status.components.kafka.bootstrap, curated_topic: uniqueName('unused'), ingest_group: uniqueName('unused') }, pino({ level: 'warn' }));
  return db;
}

/** Every replica has what its twin took (inserts reach one replica per shard; the other fetches them). */
export async function syncReplicas(servers: string[], db: string): Promise<void> {
  for (const url of servers) {
    const node = createClickHouse(url);
    const tables = await queryRows<{ name: string }>(node, `SELECT name FROM system.tables WHERE database = ${quoteString(db)} AND engine LIKE 'Replicated%'`);
    for (const { name } of tables) await node.command({ query: `SYSTEM SYNC REPLICA ${db}.${name}` });
    await node.close();
  }
}
