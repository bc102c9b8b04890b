import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { stringify } from 'lossless-json';
import { loadEnv, REPO_ROOT, stackConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { onShutdown } from '../lib/shutdown';
import { labelsFile, parseDuration, planIncidents } from '../producers/simulator/incidents';
import { createTraffic } from '../producers/simulator/model';
import { simulate } from '../producers/simulator/run';
import { gatewaySink } from '../producers/simulator/sinks';
import { stackUp } from './stack';

/**
 * `./pulse demo`: the local stack plus live simulated seller traffic through the gateway, with one
 * incident of each kind planned over the run (ground truth in artifacts/demo-labels.json).
 */

const log = createLogger('demo');

async function main(): Promise<void> {
  const opts = new Command('demo')
    .option('--duration <d>', 'how long to send traffic', '15m')
    .option('--rate <events/s>', 'mean events per second', Number, 1000)
    .parse()
    .opts<{ duration: string; rate: number }>();
  const status = await stackUp(stackConfig(loadEnv()), log);
  const endpoints = {
    gateway: status.components.gateway.url,
    livePage: status.components.api.livePage,
    kafka: status.components.kafka.bootstrap,
    schemaRegistry: status.components.schemaRegistry.url,
    clickhouse: status.components.clickhouse.http,
    prometheus: status.components.prometheus.url,
    alertmanager: status.components.alertmanager.url,
  };
  process.stdout.write(`\nupload-pulse demo: ${status.topology} topology is up\n${JSON.stringify(endpoints, null, 2)}\n\n`);

  const start = BigInt(Date.now()) * 1_000_000n;
  const duration = parseDuration(opts.duration);
  const seed = Date.now() % 100_000;
  const incidents = planIncidents(seed, start, duration);
  const labels = path.join(REPO_ROOT, 'artifacts', 'demo-labels.json');
  fs.mkdirSync(path.dirname(labels), { recursive: true });
  fs.writeFileSync(labels, stringify(labelsFile(incidents), null, 2) ?? '');
  log.info({ rate: opts.rate, duration: opts.duration, labels, gateway: endpoints.gateway }, 'sending live seller traffic through the gateway; Ctrl-C stops it (the stack keeps running: npm run stack:down)');

  const controller = new AbortController();
  const run = simulate({
    traffic: createTraffic({ seed, start, rate: opts.rate, incidents }),
    sink: gatewaySink(endpoints.gateway, log),
    endNs: start + duration,
    pace: 'realtime',
    batch: 200,
    signal: controller.signal,
  }).then((summary) => log.info(summary, 'traffic done'));
  onShutdown(log, async () => {
    controller.abort();
    await run;
  });
  await run;
}

main().catch((err: unknown) => {
  log.fatal({ err }, err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
