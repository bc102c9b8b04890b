import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ClickHouseClient } from '@clickhouse/client';
import express from 'express';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { Counter, Registry } from 'prom-client';
import { connectZk, CreateMode, zkCreate, zkExists, zkMkdirp } from '../lib/zookeeper';
import { eventually, testStack, uniqueName, type TestStack } from '../test/stack-env';
import { kafkaReplication } from './components/kafka';
import { registryProcesses, registryUrl } from './components/registry';
import { bootstrapServers, zookeeperConnect } from './layout';
import { startProcess, stopProcess, waitHealthy } from './processes';
import { createClickHouse } from '../lib/clickhouse';

/** The real servers of the local stack, each doing the job the pipeline needs of it. */

let stack: TestStack;
beforeAll(async () => {
  stack = await testStack();
});

const chClient = (url: string): ClickHouseClient => createClickHouse(url);

test('every component answers its health probe', () => {
  const unhealthy = Object.entries(stack.status.components)
    .flatMap(([, c]) => c.instances)
    .filter((i) => !i.healthy || i.pid === null)
    .map((i) => i.name);
  expect(unhealthy).toEqual([]);
  const expected = stack.layout.topology === 'cluster' ? { kafka: 3, clickhouse: 6, zookeeper: 3 } : { kafka: 1, clickhouse: 1, zookeeper: 1 };
  expect({
    kafka: stack.status.components.kafka.instances.length,
    clickhouse: stack.status.components.clickhouse.instances.length,
    zookeeper: stack.status.components.zookeeper.instances.length,
  }).toEqual(expected);
});

test('a message produced with kafkajs is consumed back, replicated per topology', async () => {
  const kafka = new Kafka({ clientId: 'stack-test', brokers: bootstrapServers(stack.layout).split(','), logLevel: logLevel.WARN });
  const topic = uniqueName('stack-test');
  const admin = kafka.admin();
  await admin.connect();
  const { replicationFactor } = kafkaReplication(stack.layout);
  await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor }], waitForLeaders: true });
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  expect(meta.topics[0].partitions.map((p) => p.replicas.length)).toEqual([replicationFactor, replicationFactor, replicationFactor]);

  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const value = `hello ${Date.now()} 1764212345123456789`;
  await producer.send({ topic, acks: -1, messages: [{ key: 'seller-42', value }] });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `${topic}-group` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const received = await new Promise<{ key: string; value: string }>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => resolve({ key: String(message.key), value: String(message.value) }),
    });
  });
  await consumer.disconnect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  expect(received).toEqual({ key: 'seller-42', value });
});

test('a ClickHouse table is written and read through @clickhouse/client', async () => {
  const client = chClient(stack.status.components.clickhouse.http[0]);
  const table = uniqueName('stack_test');
  await client.command({ query: `CREATE TABLE ${table} (id UInt64, name String) ENGINE = MergeTree ORDER BY id` });
  await client.insert({ table, values: [{ id: '18446744073709551615', name: 'max' }, { id: 1, name: 'one' }], format: 'JSONEachRow' });
  const rows = await (await client.query({ query: `SELECT toString(id) AS id, name FROM ${table} ORDER BY id`, format: 'JSONEachRow' })).json();
  await client.command({ query: `DROP TABLE ${table}` });
  await client.close();
  expect(rows).toEqual([{ id: '1', name: 'one' }, { id: '18446744073709551615', name: 'max' }]);
});

test('a ReplicatedMergeTree row written on one replica is readable on its twin', async () => {
  const table = uniqueName('stack_repl');
  const nodes = stack.layout.clickhouse;
  const clients = nodes.map((n) => chClient(`http://127.0.0.1:${n.httpPort}`));
  try {
    await Promise.all(
      clients.map((c) =>
        c.command({
          query: `CREATE TABLE ${table} (id UInt64, shard String) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${table}', '{replica}') ORDER BY id`,
        }),
      ),
    );
    // Write once on the first replica of each shard; read from every replica of that shard.
    const shards = [...new Set(nodes.map((n) => n.shard))];
    for (const shard of shards) {
      const first = nodes.findIndex((n) => n.shard === shard);
      await clients[first].insert({ table, values: [{ id: shard, shard: String(shard) }], format: 'JSONEachRow' });
    }
    for (const [i, node] of nodes.entries()) {
      const rows = await eventually(`row on ${node.name}`, async () => {
        const result = await (await clients[i].query({ query: `SELECT id, shard FROM ${table}`, format: 'JSONEachRow' })).json<{ id: string; shard: string }>();
        return result.length > 0 ? result : undefined;
      }, 30000);
      expect(rows).toEqual([{ id: String(node.shard), shard: String(node.shard) }]);
    }
  } finally {
    await Promise.all(clients.map((c) => c.command({ query: `DROP TABLE IF EXISTS ${table}` }).then(() => c.close())));
  }
});

test('a ZooKeeper ephemeral node appears and vanishes with its session', async () => {
  const connect = zookeeperConnect(stack.layout);
  const owner = await connectZk(connect);
  const watcher = await connectZk(connect);
  const parent = `/upload-pulse/test/${uniqueName('ephemeral')}`;
  await zkMkdirp(owner, parent);
  const node = await zkCreate(owner, `${parent}/member_`, Buffer.from('{}'), CreateMode.EPHEMERAL_SEQUENTIAL);
  expect(await zkExists(watcher, node)).toBe(true);
  owner.close();
  await eventually('ephemeral node to vanish', async () => ((await zkExists(watcher, node)) ? undefined : true), 15000);
  watcher.close();
});

test('Prometheus discovers a service through ZooKeeper and scrapes it', async () => {
  const registry = new Registry();
  const marker = new Counter({ name: 'stack_test_scrapes_total', help: 'marker for the stack test', registers: [registry] });
  marker.inc(7);
  const app = express();
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const zk = await connectZk(zookeeperConnect(stack.layout));
  const member = { serviceEndpoint: { host: '127.0.0.1', port }, additionalEndpoints: {}, status: 'ALIVE' };
  await zkMkdirp(zk, '/upload-pulse/services/load-tests');
  await zkCreate(zk, '/upload-pulse/services/load-tests/member_', Buffer.from(JSON.stringify(member)), CreateMode.EPHEMERAL_SEQUENTIAL);

  const prometheus = stack.status.components.prometheus.url;
  const query = `stack_test_scrapes_total{instance="127.0.0.1:${port}",service="load-tests"}`;
  try {
    const value = await eventually('Prometheus to scrape the registered service', async () => {
      const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(query)}`);
      const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
      return body.data.result[0]?.value[1];
    }, 60000);
    expect(value).toBe('7');
  } finally {
    zk.close();
    server.close();
  }
});

test('Alertmanager accepts a posted alert and lists it', async () => {
  const alertmanager = stack.status.components.alertmanager.url;
  const alertname = uniqueName('StackTestAlert');
  const res = await fetch(`${alertmanager}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([{ labels: { alertname, severity: 'test' }, annotations: { summary: 'posted by the stack test' } }]),
  });
  expect(res.status).toBe(200);
  const listed = await eventually('the alert to be listed', async () => {
    const list = (await (await fetch(`${alertmanager}/api/v2/alerts?filter=${encodeURIComponent(`alertname="${alertname}"`)}`)).json()) as { labels: Record<string, string> }[];
    return list.length > 0 ? list : undefined;
  }, 15000);
  expect(listed.map((a) => a.labels.alertname)).toEqual([alertname]);
});

test('the schema registry keeps a schema across a restart', async () => {
  const url = registryUrl(stack.layout);
  const subject = `${uniqueName('stack-test')}-value`;
  const schema = JSON.stringify({ type: 'record', name: 'Probe', namespace: 'upload_pulse.test', fields: [{ name: 'id', type: 'long' }] });
  const headers = { 'content-type': 'application/vnd.schemaregistry.v1+json' };
  const registered = await fetch(`${url}/subjects/${subject}/versions`, { method: 'POST', headers, body: JSON.stringify({ schema }) });
  expect(registered.status).toBe(200);
  const { id } = (await registered.json()) as { id: number };

  const [spec] = registryProcesses(stack.layout);
  await stopProcess(spec);
  await startProcess(spec);
  await waitHealthy(spec, stack.layout.config.startTimeoutMs);

  const latest = (await (await fetch(`${url}/subjects/${subject}/versions/latest`)).json()) as { id: number; schema: string };
  expect(latest.id).toBe(id);
  expect(JSON.parse(latest.schema)).toEqual(JSON.parse(schema));
});
