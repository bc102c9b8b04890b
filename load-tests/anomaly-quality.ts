import { Command } from 'commander';
import { loadEnv, serviceConfig } from '../lib/config';
import { runInMemory } from '../consumers/anomaly/in-memory-run';
import { monitorOptions } from '../consumers/anomaly/options';
import { parseDuration, planIncidents, type Incident } from '../producers/simulator/incidents';
import { createTraffic } from '../producers/simulator/model';
import { scoreDetection } from './detection-score';
import { report } from './bench-env';

/**
 * Detection quality of the control charts on simulated traffic with labelled incidents, through
 * the worker's own stages in memory (same code, no Kafka: windows, seller tests, leader charts):
 *   - clean: --clean-days of traffic without incidents after --warmup; every page is a false alarm;
 *   - incidents: --warmup, then --incident-span with one planned incident of each kind.
 *   npm run bench:anomaly-quality -- --rate 200 --warmup 1d --clean-days 2 --incident-span 6h
 */

const opts = new Command('anomaly-quality')
  .option('--rate <events/s>', 'mean simulated events per second', Number, 200)
  .option('--warmup <d>', 'event time before scoring starts (baselines fill)', '1d')
  .option('--clean-days <n>', 'scored days of clean traffic', Number, 2)
  .option('--incident-span <d>', 'scored span with one incident of each kind', '6h')
  .option('--seeds <n>', 'incident runs, each with its own seed and plan', Number, 2)
  .option('--sellers <n>', 'simulated sellers', Number, 5000)
  .parse()
  .opts<{ rate: number; warmup: string; cleanDays: number; incidentSpan: string; seeds: number; sellers: number }>();

const START = BigInt(Date.UTC(2026, 9, 5)) * 1_000_000n; // a Monday
const config = serviceConfig(loadEnv());
const partitions = config.topics.partitions;
const stages = monitorOptions(config.anomaly, partitions);

function run(seed: number, spanNs: bigint, incidents: Incident[]) {
  const warmup = parseDuration(opts.warmup);
  const traffic = createTraffic({ seed, start: START, rate: opts.rate, sellers: opts.sellers, incidents });
  const end = START + warmup + spanNs;
  const events = (function* () {
    for (const e of traffic) {
      if (e.ts >= end) return;
      yield e;
    }
  })();
  let count = 0;
  const counted = (function* () {
    for (const e of events) {
      count += 1;
      yield e;
    }
  })();
  const started = performance.now();
  const windows = runInMemory(counted, { partitions, ...stages, delivery: 'interleaved' });
  const seconds = (performance.now() - started) / 1000;
  const breaches = windows.flatMap((w) => w.breaches);
  return { score: scoreDetection(breaches, incidents, Number((START + warmup) / 1_000_000n)), events: count, seconds };
}

const clean = run(1, BigInt(Math.round(opts.cleanDays * 86_400)) * 1_000_000_000n, []);
const incidentRuns = Array.from({ length: opts.seeds }, (_, i) => {
  const seed = 100 + i;
  const warmup = parseDuration(opts.warmup);
  const span = parseDuration(opts.incidentSpan);
  return run(seed, span, planIncidents(seed, START + warmup, span, { sellers: opts.sellers }));
});

const scores = incidentRuns.flatMap((r) => r.score.incidents);
const byKind = [...new Set(scores.map((s) => s.kind))].map((kind) => {
  const of = scores.filter((s) => s.kind === kind);
  const ttd = of.flatMap((s) => (s.detectionMinutes === undefined ? [] : [s.detectionMinutes])).sort((a, b) => a - b);
  return { kind, detected: `${ttd.length}/${of.length}`, ttdMinutes: ttd };
});
const allTtd = scores.flatMap((s) => (s.detectionMinutes === undefined ? [] : [s.detectionMinutes])).sort((a, b) => a - b);
report('anomaly-quality', {
  rate: opts.rate,
  partitions,
  clean: { days: opts.cleanDays, falseAlarmsPerDay: +(clean.score.falseAlarms / opts.cleanDays).toFixed(2), episodes: clean.score.falseAlarmEpisodes, tickets: clean.score.tickets },
  incidents: byKind,
  medianDetectionMinutes: allTtd.length > 0 ? allTtd[Math.floor((allTtd.length - 1) / 2)] : null,
  falseAlarmsDuringIncidentRuns: incidentRuns.map((r) => r.score.falseAlarmEpisodes),
  engineEventsPerSecond: Math.round(clean.events / clean.seconds),
});
