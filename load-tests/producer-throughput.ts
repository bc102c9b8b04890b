import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import pino from 'pino';
import { Registry } from 'prom-client';
import { loadEnv, serviceConfig, stackConfig } from '../lib/config';
import { createKafka } from '../lib/kafka';
import { eventJson, sampleEvent } from '../schemas/event-fixtures';
import type { UploadEvent } from '../schemas/upload-event';
import { distDir } from '../stack/layout';
import { EventProducer } from '../producers/event-producer';
import { createSchemaRegistry, registerUploadEventSchema } from '../producers/schema-registry';
import { ensureTopic } from '../lib/topics';
import { uploadEventsTopic } from '../producers/topics';
import { report, runningStack } from './bench-env';

/**
 * Producer library throughput against the running stack, next to Kafka's own ProducerPerformance
 * with the same payloads (the events as JSON text), acks=all, idempotence and gzip on both sides.
 *   npm run bench:producer -- --events 300000
 */

const run = promisify(execFile);
const log = pino({ level: 'warn' });

function syntheticEvents(n: number): UploadEvent[] {
  const base = sampleEvent();
  return Array.from({ length: n }, (_, i) => ({
    ...base,
    id: base.id + BigInt(i),
    attempt_id: `bench-${i}`,
    ts: base.ts + BigInt(i) * 1000n,
    up_ts: base.up_ts + BigInt(i) * 1000n,
    data: { ...base.data, company_id: BigInt((i * 7919) % 5000) + 1n },
  }));
}

async function ourProducer(bootstrap: string[], registryUrl: string, topic: string, events: UploadEvent[], window: number, chunk: number) {
  const kafka = createKafka('bench-producer', bootstrap, log);
  const registry = createSchemaRegistry(registryUrl);
  const schemaId = await registerUploadEventSchema(registry, topic);
  const producer = new EventProducer({ kafka, registry, topic, schemaId, metrics: new Registry(), log, ...serviceConfig(loadEnv()).producer, maxQueuedEvents: window * chunk });
  await producer.connect();
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < events.length; i += chunk) {
    if (inFlight.length >= window) await inFlight.shift();
    inFlight.push(producer.send(events.slice(i, i + chunk)));
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - start) / 1000;
  await producer.close();
  return { events: events.length, seconds: +seconds.toFixed(2), eventsPerSecond: Math.round(events.length / seconds) };
}

async function kafkaTool(bootstrap: string[], topic: string, events: UploadEvent[]) {
  const payloads = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-')), 'payloads.txt');
  fs.writeFileSync(payloads, events.slice(0, 20000).map((e) => eventJson(e)).join('\n'));
  const libs = path.join(distDir(stackConfig(loadEnv()), 'kafka'), 'libs', '*');
  const { stdout } = await run('java', [
    '-Xmx512m', '-cp', libs, 'org.apache.kafka.tools.ProducerPerformance',
    '--topic', topic, '--num-records', String(events.length), '--throughput', '-1', '--payload-file', payloads,
    '--producer-props', `bootstrap.servers=${bootstrap.join(',')}`, 'acks=all', 'enable.idempotence=true', 'compression.type=gzip', 'linger.ms=5', 'batch.size=262144',
  ], { maxBuffer: 16 * 2 ** 20 });
  const summary = stdout.trim().split('\n').pop() ?? '';
  const m = /([\d.]+) records\/sec.*?([\d.]+) ms avg latency.*?(\d+) ms 50th.*?(\d+) ms 99th/.exec(summary);
  if (!m) throw new Error(`unexpected ProducerPerformance output: ${summary}`);
  return { events: events.length, eventsPerSecond: Math.round(Number(m[1])), avgLatencyMs: Number(m[2]), p50Ms: Number(m[3]), p99Ms: Number(m[4]) };
}

async function main() {
  const opts = new Command('bench:producer')
    .option('--events <n>', 'events per run', (v) => parseInt(v, 10), 300_000)
    .option('--chunk <n>', 'events per send() call', (v) => parseInt(v, 10), 1000)
    .option('--window <n>', 'send() calls in flight', (v) => parseInt(v, 10), 32)
    .parse()
    .opts<{ events: number; chunk: number; window: number }>();
  const stack = await runningStack();
  const bootstrap = stack.components.kafka.bootstrap.split(',');
  const admin = createKafka('bench-admin', bootstrap, log).admin();
  await admin.connect();
  const suffix = Date.now().toString(36);
  const topics = { ours: `bench.producer.${suffix}`, tool: `bench.kafka-tool.${suffix}` };
  for (const topic of Object.values(topics)) await ensureTopic(admin, uploadEventsTopic(serviceConfig(loadEnv()), topic));
  await admin.disconnect();

  const events = syntheticEvents(opts.events);
  const library = await ourProducer(bootstrap, stack.components.schemaRegistry.url, topics.ours, events, opts.window, opts.chunk);
  const tool = await kafkaTool(bootstrap, topics.tool, events);
  report('producer-throughput', {
    topology: stack.topology,
    brokers: bootstrap.length,
    library,
    kafkaProducerPerformance: tool,
    ratioToKafkaTool: +(library.eventsPerSecond / tool.eventsPerSecond).toFixed(2),
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:producer: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
