import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { type ClickHouseClient } from '@clickhouse/client';
import { Command } from 'commander';
import pino from 'pino';
import { Registry } from 'prom-client';
import { loadEnv, serviceConfig, stackConfig } from '../lib/config';
import { layoutFor, type StackLayout } from '../stack/layout';
import { runningPid, type ProcessSpec } from '../stack/processes';
import { restartInstance, signalInstance, stackInstance, startExtraInstance, stopExtraInstance, waitGone, type ExtraInstance } from './chaos/stack-control';
import { createKafka } from '../lib/kafka';
import { curate, curatedRow } from '../schemas/curated-event';
import { sampleEvent } from '../schemas/event-fixtures';
import type { UploadEvent } from '../schemas/upload-event';
import { EventProducer } from '../producers/event-producer';
import { createSchemaRegistry, registerUploadEventSchema } from '../producers/schema-registry';
import { report, runningStack } from './bench-env';
import { createClickHouse } from '../lib/clickhouse';
import { quoteString } from '../lib/sql';
import { freshnessOf, FreshnessTracker } from './harness/freshness';
import { countStored } from './harness/stored-events';

/**
 * The storage path under load, through the running stack (gateway-less: producer library ->
 * raw topic -> curate -> curated topic -> Kafka engine -> upload_events):
 *   - throughput: --events sent as fast as possible, until all are queryable; next to it, the
 *     ceiling of ClickHouse itself: the same rows bulk-inserted with clickhouse-client;
 *   - backlog drain: --events more written while curate is stopped, timed once the workers run;
 *   --curate-instances n runs both with n curate workers in the group;
 *   - freshness: --rate events/s for --seconds, with marker events whose time from send to
 *     visible in upload_events gives p50/p99.
 *   npm run bench:storage -- --events 200000 --rate 1000 --seconds 60
 */

const run = promisify(execFile);
const log = pino({ level: 'warn' });

function eventsFor(prefix: string, n: number): UploadEvent[] {
  const base = sampleEvent();
  return Array.from({ length: n }, (_, i) => {
    const ts = BigInt(Date.now()) * 1_000_000n + BigInt(i);
    return { ...base, id: BigInt(i + 1), attempt_id: `${prefix}-${i}`, ts, up_ts: ts - 900_000_000n, data: { ...base.data, company_id: BigInt((i * 7919) % 5000) + 1n } };
  });
}

/** Sends the events as fast as the producer takes them, 32 requests of 1,000 in flight. */
async function sendAll(producer: EventProducer, events: UploadEvent[]): Promise<void> {
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < events.length; i += 1000) {
    if (inFlight.length >= 32) await inFlight.shift();
    inFlight.push(producer.send(events.slice(i, i + 1000)));
  }
  await Promise.all(inFlight);
}

/** Polls until n distinct events of the prefix are stored (at most 10 minutes); returns how many are. */
async function untilStored(ch: ClickHouseClient, db: string, prefix: string, n: number, since: number): Promise<number> {
  let stored = 0;
  while (stored < n && performance.now() - since < 600_000) {
    await sleep(500);
    stored = (await countStored(ch, db, prefix)).distinct;
  }
  return stored;
}

async function throughput(producer: EventProducer, ch: ClickHouseClient, db: string, n: number) {
  const prefix = `bench-tp-${Date.now().toString(36)}`;
  const events = eventsFor(prefix, n);
  const start = performance.now();
  await sendAll(producer, events);
  const produced = (performance.now() - start) / 1000;
  const stored = await untilStored(ch, db, prefix, n, start);
  const seconds = (performance.now() - start) / 1000;
  return { events: n, stored, producedInSeconds: +produced.toFixed(2), queryableInSeconds: +seconds.toFixed(2), eventsPerSecond: Math.round(n / seconds), rows: events, prefix };
}

/** The stack's curate worker plus extra instances in its group (the stage scales out by instances). */
class CurateWorkers {
  private extras: ExtraInstance[] = [];
  private readonly spec: ProcessSpec;

  constructor(
    private readonly layout: StackLayout,
    private readonly extraCount: number,
  ) {
    this.spec = stackInstance(layout, layout.curate.name);
  }

  async start(): Promise<void> {
    const starts = Array.from({ length: this.extraCount }, (_, i) => startExtraInstance(this.spec, 'CURATE_METRICS_PORT', 'curate worker started', `curate-bench-${i + 1}`));
    if (runningPid(this.spec) === undefined) await restartInstance(this.spec, this.layout);
    this.extras = await Promise.all(starts);
  }

  async stop(): Promise<void> {
    await this.stopExtras();
    if (runningPid(this.spec) === undefined) return;
    signalInstance(this.spec, 'SIGTERM');
    await waitGone(this.spec);
  }

  /** The stack as it was: its own worker running, the extra instances gone. */
  async finish(): Promise<void> {
    await this.stopExtras();
    if (runningPid(this.spec) === undefined) await restartInstance(this.spec, this.layout);
  }

  private async stopExtras(): Promise<void> {
    await Promise.all(this.extras.map((e) => stopExtraInstance(e)));
    this.extras = [];
  }
}

/**
 * A backlog of n events on the raw topic, written while every curate worker is stopped, then timed
 * from their start until all are queryable: the storage path without the load generator sharing
 * its cores (also how fast the backlog of a curate outage drains).
 */
async function backlogDrain(producer: EventProducer, ch: ClickHouseClient, db: string, n: number, workers: CurateWorkers) {
  const prefix = `bench-bl-${Date.now().toString(36)}`;
  await workers.stop();
  await sendAll(producer, eventsFor(prefix, n));
  const start = performance.now();
  await workers.start();
  const started = (performance.now() - start) / 1000;
  const stored = await untilStored(ch, db, prefix, n, start);
  const seconds = (performance.now() - start) / 1000;
  // The rate counts from when the workers are up: a Node process takes seconds to load.
  return { events: n, stored, workersStartedInSeconds: +started.toFixed(2), queryableInSeconds: +seconds.toFixed(2), eventsPerSecond: Math.round(n / (seconds - started)) };
}

/** Rows of the throughput run on every server: shards split them, replicas of a shard agree. */
async function perServer(urls: string[], db: string, prefix: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const url of urls) {
    const client = createClickHouse(url);
    await client.command({ query: `SYSTEM SYNC REPLICA ${db}.upload_events_local` });
    const rows = await (await client.query({ query: `SELECT count() AS n FROM ${db}.upload_events_local WHERE startsWith(attempt_id, '${prefix}')`, format: 'JSONEachRow' })).json<{ n: string }>();
    counts[url] = Number(rows[0].n);
    await client.close();
  }
  return counts;
}

/** ClickHouse alone: the same curated rows bulk-inserted by clickhouse-client into a plain copy of the table. */
async function clickhouseCeiling(ch: ClickHouseClient, db: string, tcpPort: string, events: UploadEvent[]) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ch-')), 'rows.json');
  fs.writeFileSync(file, events.map((e) => curatedRow(curate(e))).join('\n'));
  const scratch = `${db}.bench_ceiling_${Date.now().toString(36)}`;
  await ch.command({ query: `CREATE TABLE ${scratch} AS ${db}.upload_events_local ENGINE = MergeTree PARTITION BY toYYYYMM(event_date) ORDER BY (seller_id, event_minute, event_key)` });
  const start = performance.now();
  await run('sh', ['-c', `clickhouse-client --port ${tcpPort} --query "INSERT INTO ${scratch} FORMAT JSONEachRow" < ${file}`]);
  const seconds = (performance.now() - start) / 1000;
  await ch.command({ query: `DROP TABLE ${scratch}` });
  return { rows: events.length, seconds: +seconds.toFixed(2), rowsPerSecond: Math.round(events.length / seconds) };
}

async function freshness(producer: EventProducer, ch: ClickHouseClient, db: string, rate: number, seconds: number) {
  const prefix = `bench-fr-${Date.now().toString(36)}`;
  // The first event of each tick's batch is a marker, found by its attempt id.
  const tracker = new FreshnessTracker({ clickhouse: ch, database: db, keyColumn: 'attempt_id', where: `event_date >= today() - 1 AND startsWith(attempt_id, ${quoteString(prefix)}) AND endsWith(attempt_id, '-0')` });
  const tickMs = 100;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const end = Date.now() + seconds * 1000;
  let seq = 0;
  tracker.start();
  while (Date.now() < end) {
    const batch = eventsFor(`${prefix}-${seq++}`, perTick);
    tracker.mark(batch[0].attempt_id);
    void producer.send(batch);
    await sleep(tickMs);
  }
  await tracker.drain(30_000);
  await tracker.stop();
  const f = freshnessOf(tracker.all());
  return { rate, seconds, markers: f.markers, missing: f.missing, p50Ms: f.p50, p99Ms: f.p99, maxMs: f.max, pollIntervalMs: tracker.pollMs };
}

async function main() {
  const opts = new Command('bench:storage')
    .option('--events <n>', 'events for the throughput run', (v) => parseInt(v, 10), 200_000)
    .option('--rate <n>', 'events/s for the freshness run', (v) => parseInt(v, 10), 1000)
    .option('--seconds <n>', 'duration of the freshness run', (v) => parseInt(v, 10), 60)
    .option('--curate-instances <n>', 'curate workers in the group during the throughput runs (the stack\'s own and n - 1 more)', (v) => parseInt(v, 10), 1)
    .parse()
    .opts<{ events: number; rate: number; seconds: number; curateInstances: number }>();
  const stack = await runningStack();
  if (!stack.components.curate.healthy) throw new Error('the stack runs no healthy curate worker: npm run stack:up');
  const config = serviceConfig(loadEnv());
  const db = config.clickhouse.database;
  const ch = createClickHouse(stack.components.clickhouse.http[0]);
  const kafka = createKafka('bench-storage', stack.components.kafka.bootstrap.split(','), log);
  const registry = createSchemaRegistry(stack.components.schemaRegistry.url);
  const topic = config.topics.uploadEvents;
  const schemaId = await registerUploadEventSchema(registry, topic);
  const producer = new EventProducer({ kafka, registry, topic, schemaId, metrics: new Registry(), log, ...config.producer });
  await producer.connect();

  const workers = new CurateWorkers(layoutFor(stackConfig(loadEnv(), { topology: stack.topology })), opts.curateInstances - 1);
  const [tp, drain] = await (async () => {
    try {
      await workers.start();
      const figures = await throughput(producer, ch, db, opts.events);
      return [figures, await backlogDrain(producer, ch, db, opts.events, workers)] as const;
    } finally {
      await workers.finish();
    }
  })();
  const servers = await perServer(stack.components.clickhouse.http, db, tp.prefix);
  const ceiling = await clickhouseCeiling(ch, db, stack.components.clickhouse.native[0].split(':')[1], tp.rows);
  const fresh = await freshness(producer, ch, db, opts.rate, opts.seconds);
  await producer.close();
  await ch.close();
  const { rows: _rows, prefix: _prefix, ...throughputFigures } = tp;
  report('storage-ingest', { topology: stack.topology, curateInstances: opts.curateInstances, throughput: { ...throughputFigures, rowsPerServer: servers }, backlogDrain: drain, clickhouseBulkInsertCeiling: ceiling, freshness: fresh });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:storage: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
