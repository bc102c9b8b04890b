import autocannon from 'autocannon';
import { Command } from 'commander';
import { eventJson, sampleEvent } from '../schemas/event-fixtures';
import { loadEnv, stackConfig } from '../lib/config';
import { layoutFor } from '../stack/layout';
import { report, runningStack } from './bench-env';
import { signalInstance, stackInstance } from './chaos/stack-control';

/**
 * The HTTP ingest gateway under load, with autocannon from a second process on loopback:
 *   - latency: single-event requests at a fixed --rate requests/s, twice: with the whole pipeline
 *     consuming them, then with the stack's curate and anomaly workers paused (SIGSTOP, resumed
 *     after), to tell the gateway and broker's own latency from that of sharing two cores;
 *   - throughput: NDJSON requests of --batch events, as fast as --connections allow.
 *   npm run bench:gateway -- --seconds 20
 */

function bodies(count: number, eventsPerBody: number, tag: string): string[] {
  return Array.from({ length: count }, (_, b) =>
    Array.from({ length: eventsPerBody }, (_, i) =>
      eventJson(sampleEvent({ attempt_id: `${tag}-${b}-${i}`, data: { company_id: BigInt(((b * eventsPerBody + i) * 7919) % 5000) + 1n, info: '{"title":"bench"}', media: [] } })),
    ).join('\n'),
  );
}

async function load(url: string, opts: { seconds: number; connections: number; rate?: number; bodies: string[] }) {
  let next = 0;
  const result = await autocannon({
    url: `${url}/v1/events`,
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    connections: opts.connections,
    duration: opts.seconds,
    overallRate: opts.rate,
    requests: [{ setupRequest: (req) => ({ ...req, body: opts.bodies[next++ % opts.bodies.length] }) }],
  });
  return {
    requests: result.requests.total,
    requestsPerSecond: Math.round(result.requests.average),
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
  };
}

async function main() {
  const opts = new Command('bench:gateway')
    .option('--seconds <n>', 'duration of each scenario', (v) => parseInt(v, 10), 20)
    .option('--batch <n>', 'events per request in the throughput scenario', (v) => parseInt(v, 10), 500)
    .option('--connections <n>', 'concurrent connections in the throughput scenario', (v) => parseInt(v, 10), 8)
    .option('--rate <n>', 'requests/s in the single-event scenario', (v) => parseInt(v, 10), 1000)
    .parse()
    .opts<{ seconds: number; batch: number; connections: number; rate: number }>();
  const stack = await runningStack();
  const url = stack.components.gateway.url;
  const tag = `bench-${Date.now().toString(36)}`;

  // Single events first: after the batched run, the curate stage, the anomaly worker and ClickHouse
  // would spend the next 15-20 s on its backlog, on the same two cores as the gateway and broker.
  const single = await load(url, { seconds: opts.seconds, connections: 16, rate: opts.rate, bodies: bodies(1000, 1, `${tag}-s`) });
  const layout = layoutFor(stackConfig(loadEnv(), { topology: stack.topology }));
  const consumers = [layout.curate.name, layout.anomaly.name].map((name) => stackInstance(layout, name));
  consumers.forEach((spec) => signalInstance(spec, 'SIGSTOP'));
  const alone = await load(url, { seconds: opts.seconds, connections: 16, rate: opts.rate, bodies: bodies(1000, 1, `${tag}-p`) }).finally(() => consumers.forEach((spec) => signalInstance(spec, 'SIGCONT')));
  const batched = await load(url, { seconds: opts.seconds, connections: opts.connections, bodies: bodies(40, opts.batch, `${tag}-b`) });
  report('gateway-throughput', {
    topology: stack.topology,
    batched: { eventsPerRequest: opts.batch, connections: opts.connections, eventsPerSecond: batched.requestsPerSecond * opts.batch, ...batched },
    singleEvent: { targetRate: opts.rate, ...single },
    singleEventConsumersPaused: { targetRate: opts.rate, ...alone },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:gateway: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
