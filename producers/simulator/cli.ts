import fs from 'node:fs';
import { Command, Option } from 'commander';
import { stringify } from 'lossless-json';
import { loadEnv, serviceConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { onShutdown } from '../../lib/shutdown';
import { labelsFile, parseDuration, parseIncident, planIncidents } from './incidents';
import { createTraffic } from './model';
import { simulate } from './run';
import { gatewaySink, producerSink } from './sinks';

/**
 * `npm run simulate -- [options]`: realistic seller traffic into the pipeline.
 * Live by default (event time = now, paced by the wall clock); with a past --start it generates
 * history at full speed, e.g. 30 days in minutes: --start 2026-10-01T00:00:00Z --duration 30d.
 */

const log = createLogger('simulator');

function parseStart(text: string): bigint {
  if (text === 'now') return BigInt(Date.now()) * 1_000_000n;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`--start "${text}" is neither "now" nor an ISO time such as 2026-10-01T00:00:00Z`);
  return BigInt(ms) * 1_000_000n;
}

async function main(): Promise<void> {
  const opts = new Command('simulate')
    .option('--rate <events/s>', 'mean events per second (weekly average; the daily cycle swings around it)', Number, 1000)
    .option('--duration <d>', 'event-time span to generate, e.g. 90s, 10m, 30d', '1m')
    .option('--count <n>', 'stop after this many events instead of --duration', Number)
    .option('--start <time>', '"now" (live) or an ISO time to generate history from', 'now')
    .addOption(new Option('--pace <pace>', 'realtime: send events when the wall clock reaches their time; max: as fast as the sink takes them').choices(['realtime', 'max']))
    .addOption(new Option('--via <sink>', 'producer: straight to Kafka; gateway: through the HTTP gateway').choices(['producer', 'gateway']).default('producer'))
    .option('--gateway-url <url>', 'gateway base URL', `http://127.0.0.1:${loadEnv().GATEWAY_PORT}`)
    .option('--seed <n>', 'random seed; the same seed and start give the same events', Number, 1)
    .option('--sellers <n>', 'number of sellers', Number, 5000)
    .option('--incident <spec...>', 'inject an incident, e.g. failure-spike:origin=xlsx-import@+10m/15m (repeatable)')
    .option('--plan-incidents', 'inject one incident of each kind spread over the run')
    .option('--labels <file>', 'write the injected incidents (ground truth) as JSON to this file')
    .option('--batch <n>', 'events per send', Number, 500)
    .parse()
    .opts<{ rate: number; duration: string; count?: number; start: string; pace?: 'realtime' | 'max'; via: 'producer' | 'gateway'; gatewayUrl: string; seed: number; sellers: number; incident?: string[]; planIncidents?: boolean; labels?: string; batch: number }>();

  const start = parseStart(opts.start);
  const duration = parseDuration(opts.duration);
  const incidents = [
    ...(opts.incident ?? []).map((spec) => parseIncident(spec, start)),
    ...(opts.planIncidents ? planIncidents(opts.seed, start, duration, { sellers: opts.sellers }) : []),
  ];
  if (opts.labels) fs.writeFileSync(opts.labels, stringify(labelsFile(incidents), null, 2) ?? '');
  const traffic = createTraffic({ seed: opts.seed, start, rate: opts.rate, sellers: opts.sellers, incidents });
  const sink = opts.via === 'gateway' ? gatewaySink(opts.gatewayUrl, log) : await producerSink(serviceConfig(loadEnv()), log);
  const controller = new AbortController();
  const run = (async () => {
    log.info({ start: new Date(Number(start / 1_000_000n)).toISOString(), duration: opts.duration, count: opts.count, rate: opts.rate, via: opts.via, incidents: incidents.length }, 'simulating');
    const summary = await simulate({
      traffic,
      sink,
      endNs: opts.count === undefined ? start + duration : undefined,
      count: opts.count,
      pace: opts.pace ?? (opts.start === 'now' ? 'realtime' : 'max'),
      batch: opts.batch,
      signal: controller.signal,
    });
    await sink.close();
    log.info(summary, 'done');
  })();
  // SIGTERM: stop generating, let what was handed to the sink be acknowledged, then exit.
  onShutdown(log, async () => {
    controller.abort();
    await run;
  });
  await run;
}

main().catch((err: unknown) => {
  log.fatal({ err }, err instanceof Error ? err.message : String(err));
  process.exit(1);
});
