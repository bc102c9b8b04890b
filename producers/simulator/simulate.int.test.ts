import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadEnv, REPO_ROOT, serviceConfig } from '../../lib/config';
import { createKafka } from '../../lib/kafka';
import { createLogger } from '../../lib/logger';
import { testStack, uniqueName } from '../../test/stack-env';

/** The simulator CLI end to end: generated history lands in Kafka, with its ground-truth labels. */

const run = promisify(execFile);

test('history generated at full speed through the producer library arrives complete', async () => {
  const stack = await testStack();
  const topic = uniqueName('simulated');
  const labels = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sim-')), 'labels.json');
  const env = {
    ...process.env,
    UPLOAD_EVENTS_TOPIC: topic,
    KAFKA_BROKERS: stack.status.components.kafka.bootstrap,
    SCHEMA_REGISTRY_URL: stack.status.components.schemaRegistry.url,
    LOG_LEVEL: 'info',
  };
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'producers/simulator/cli.ts', '--start', '2026-11-01T00:00:00Z', '--count', '20000', '--rate', '500', '--seed', '7', '--incident', 'error-storm@+5m/2m', '--labels', labels],
    { cwd: REPO_ROOT, env },
  );
  const summary = JSON.parse(stdout.trim().split('\n').pop()!) as { msg: string; events: number };
  expect(summary).toEqual(expect.objectContaining({ msg: 'done', events: 20000 }));

  const admin = createKafka('simulate-test', serviceConfig(loadEnv(env)).kafkaBrokers, createLogger('simulate-test')).admin();
  await admin.connect();
  const stored = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  // Kafka timestamps are event times: the first event sits at the requested start.
  const [first] = await admin.fetchTopicOffsetsByTimestamp(topic, Date.parse('2026-11-01T00:00:00Z'));
  await admin.disconnect();
  expect(stored).toBe(20000);
  expect(first.offset).toBe('0');

  const doc = JSON.parse(fs.readFileSync(labels, 'utf8')) as { incidents: { kind: string; startIso: string }[] };
  expect(doc.incidents).toEqual([expect.objectContaining({ kind: 'error-storm', startIso: '2026-11-01T00:05:00.000Z' })]);
});
