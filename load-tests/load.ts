import { Command } from 'commander';
import { loadEnv, serviceConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { onShutdown } from '../lib/shutdown';
import { parseDuration } from '../producers/simulator/incidents';
import { RAMP_DEFAULTS, rampScenario } from './scenarios/ramp';
import { lagPeriods, runScenario, type Scenario } from './scenarios/runner';
import { SOAK_DEFAULTS, soakScenario } from './scenarios/soak';
import { SPIKE_DEFAULTS, spikeScenario } from './scenarios/spike';
import { STEADY_DEFAULTS, steadyScenario } from './scenarios/steady';

/**
 * `npm run load -- <scenario> [options]`: load scenarios through the running stack's gateway,
 * each bounded in time, each writing artifacts/load-tests/<scenario>-<time>/ (summary.md, PNGs,
 * run.json). SIGINT/SIGTERM stops the load and still writes the report.
 *   npm run load -- steady --duration 1m
 *   npm run load -- ramp --start-rate 2000 --step 2000 --step-duration 3m
 */

const log = createLogger('load-tests');

/** Hard bounds: no scenario runs unbounded, whatever it is asked. */
const MAX_SECONDS = 3 * 3600;
const MAX_RATE = 100_000;

const seconds = (text: string): number => {
  const s = Number(parseDuration(text) / 1_000_000n) / 1000;
  if (s <= 0 || s > MAX_SECONDS) throw new Error(`duration ${text} is outside (0, ${MAX_SECONDS / 3600} h]`);
  return s;
};
const rate = (text: string): number => {
  const r = Number(text);
  if (!Number.isInteger(r) || r < 1 || r > MAX_RATE) throw new Error(`rate ${text} must be an integer in [1, ${MAX_RATE}] events/s`);
  return r;
};
const positiveInt = (text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`"${text}" is not a positive integer`);
  return n;
};
const fmtSeconds = (s: number) => `${s}s`;

interface CommonOptions { batch: number; slots: number; baseline: string; drain: string; markerEvery: string; out?: string }

function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('--batch <n>', 'events per request (NDJSON)', positiveInt, 10)
    .option('--slots <n>', 'autocannon instances per phase, started 1/n s apart (smooths the load within each second)', positiveInt, 10)
    .option('--baseline <d>', 'idle measurement before the load (CPU baseline of every process)', '10s')
    .option('--drain <d>', 'longest wait after the load for every accepted event to be stored', '2m')
    .option('--marker-every <d>', 'interval between freshness markers', '100ms')
    .option('--out <dir>', 'parent folder of the report (default artifacts/load-tests)');
}

async function execute(scenario: Scenario, common: CommonOptions): Promise<void> {
  const controller = new AbortController();
  const run = runScenario(scenario, {
    batch: common.batch,
    slots: common.slots,
    baselineSeconds: seconds(common.baseline),
    drainSeconds: seconds(common.drain),
    markerEveryMs: seconds(common.markerEvery) * 1000,
    outDir: common.out,
    signal: controller.signal,
    log,
    command: `npm run load -- ${process.argv.slice(2).join(' ')}`,
  });
  onShutdown(log, async () => {
    controller.abort();
    await run;
  }, 120_000);
  const result = await run;
  process.stdout.write(`report: ${result.dir}/summary.md\n`);
}

const program = new Command('load').description('Load scenarios through the local stack (npm run stack:up first); reports under artifacts/load-tests/');

/** steady and soak: one rate for one duration. */
function constantRateCommand(name: string, description: string, defaults: { rate: number; seconds: number }, make: (o: { rate: number; seconds: number }) => Scenario): void {
  withCommonOptions(
    program
      .command(name)
      .description(description)
      .option('--rate <events/s>', 'events per second', rate, defaults.rate)
      .option('--duration <d>', 'e.g. 90s, 10m, 1h', fmtSeconds(defaults.seconds)),
  ).action(async (o: CommonOptions & { rate: number; duration: string }) => execute(make({ rate: o.rate, seconds: seconds(o.duration) }), o));
}

constantRateCommand('steady', 'a constant rate, by default the production peak: 1,000 events/s for 10 minutes', STEADY_DEFAULTS, steadyScenario);
constantRateCommand('soak', 'a constant rate for long, by default 1,000 events/s for 1 hour; memory of every process must stay flat', SOAK_DEFAULTS, soakScenario);

withCommonOptions(
  program
    .command('spike')
    .description('the base rate, a spike of --multiplier x for --spike, the base again; reports recovery of lag and freshness')
    .option('--rate <events/s>', 'base events per second', rate, SPIKE_DEFAULTS.rate)
    .option('--multiplier <n>', 'spike rate / base rate', positiveInt, SPIKE_DEFAULTS.multiplier)
    .option('--before <d>', 'base rate before the spike (at least a chart window for the anomaly lag baseline)', fmtSeconds(SPIKE_DEFAULTS.beforeSeconds))
    .option('--spike <d>', 'length of the spike', fmtSeconds(SPIKE_DEFAULTS.spikeSeconds))
    .option('--after <d>', 'base rate after the spike, for recovery', fmtSeconds(SPIKE_DEFAULTS.afterSeconds)),
).action(async (o: CommonOptions & { rate: number; multiplier: number; before: string; spike: string; after: string }) => {
  if (o.rate * o.multiplier > MAX_RATE) throw new Error(`spike rate ${o.rate * o.multiplier} is over ${MAX_RATE} events/s`);
  await execute(spikeScenario({ rate: o.rate, multiplier: o.multiplier, beforeSeconds: seconds(o.before), spikeSeconds: seconds(o.spike), afterSeconds: seconds(o.after) }), o);
});

withCommonOptions(
  program
    .command('ramp')
    .description('steps the rate up until a service level breaks (p99 ingest > 100 ms, freshness p99 > 5 s, or lag growing); reports the highest sustained rate')
    .option('--start-rate <events/s>', 'first step', rate, RAMP_DEFAULTS.startRate)
    .option('--step <events/s>', 'increase per step', rate, RAMP_DEFAULTS.step)
    .option('--step-duration <d>', 'length of a step (the anomaly lag needs two chart windows plus lateness to be judged)', fmtSeconds(RAMP_DEFAULTS.stepSeconds))
    .option('--max-rate <events/s>', 'last step at most', rate, RAMP_DEFAULTS.maxRate)
    .option('--settle <d>', 'start of each step left out of its lag trend', fmtSeconds(RAMP_DEFAULTS.settleSeconds)),
).action(async (o: CommonOptions & { startRate: number; step: number; stepDuration: string; maxRate: number; settle: string }) => {
  const stepSeconds = seconds(o.stepDuration);
  const steps = Math.floor((o.maxRate - o.startRate) / o.step) + 1;
  if (steps < 1) throw new Error(`--max-rate ${o.maxRate} is below --start-rate ${o.startRate}`);
  if (steps * stepSeconds > MAX_SECONDS) throw new Error(`${steps} steps of ${stepSeconds} s exceed ${MAX_SECONDS / 3600} h: raise --step or lower --max-rate`);
  const opts = { startRate: o.startRate, step: o.step, stepSeconds, maxRate: o.maxRate, settleSeconds: seconds(o.settle) };
  await execute(rampScenario(opts, lagPeriods(serviceConfig(loadEnv()))), o);
});

program.parseAsync().catch((err: unknown) => {
  log.fatal({ err }, err instanceof Error ? err.message : String(err));
  process.stderr.write(`load: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
