import fs from 'node:fs';
import path from 'node:path';
import { isLoad, type RunFigures, type RunRecord } from './analysis';
import { plotPng, type PhaseBand, type Plot, type PlotSeries } from './plots';
import { SERVICE_LEVELS } from './service-levels';
import type { Sample } from './sampler';
import { median } from './stats';

/**
 * The report folder of a run: summary.md (conditions, figures, service levels, the scenario's own
 * findings), PNG plots over time, and run.json with every sample for later analysis.
 */

export interface ScenarioSection { heading: string; markdown: string; figures: Record<string, unknown> }

export interface RunContext { command: string; topology: string; machine: string; loadAverageStart: number[]; loadAverageEnd: number[]; params: Record<string, unknown> }

export const PLOT_FILES = ['throughput.png', 'ingest-latency.png', 'freshness.png', 'consumer-lag.png', 'errors.png', 'cpu.png', 'rss.png'] as const;

const n0 = (v: number | undefined) => (v === undefined ? 'n/a' : Math.round(v).toLocaleString('en-US'));
const ms = (v: number | undefined) => (v === undefined ? 'n/a' : !Number.isFinite(v) ? 'never seen' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`);
const pct = (v: number | undefined) => (v === undefined ? 'n/a' : `${v.toFixed(1)} %`);
const mib = (v: number | undefined) => (v === undefined ? 'n/a' : `${(v / 2 ** 20).toFixed(0)} MiB`);
const cost = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(4));

function bands(run: RunRecord): PhaseBand[] {
  return run.phases.map((p) => ({ name: p.name, from: (p.startedAt - run.startedAt) / 1000, to: (p.endedAt - run.startedAt) / 1000 }));
}

const xOf = (run: RunRecord, s: Sample) => Math.round((s.at - run.startedAt) / 100) / 10;

function plots(run: RunRecord): Record<(typeof PLOT_FILES)[number], Plot> {
  const series = (name: string, y: (s: Sample) => number | null | undefined, samples = run.samples): PlotSeries => ({ name, points: samples.map((s) => [xOf(run, s), y(s) ?? null]) });
  const b = bands(run);
  // Freshness by the second its markers were sent: median and worst of that second.
  const bySecond = new Map<number, number[]>();
  for (const m of run.markers) {
    const x = Math.floor((m.sentAtMs - run.startedAt) / 1000);
    const lag = m.seenAtMs === undefined ? null : m.seenAtMs - m.sentAtMs;
    if (lag !== null) bySecond.set(x, [...(bySecond.get(x) ?? []), lag]);
  }
  const seconds = [...bySecond.keys()].sort((a, c) => a - c);
  const errorKinds = [...new Set(run.samples.flatMap((s) => Object.keys(s.errors)))];
  const names = run.processes.map((p) => p.name);
  return {
    'throughput.png': { title: 'Throughput', yName: 'events/s', bands: b, series: [series('offered', (s) => (isLoad(s) ? s.offeredRate : 0)), series('accepted (202)', (s) => s.acceptedEvents)] },
    'ingest-latency.png': { title: 'Ingest latency (HTTP 202), per second', yName: 'ms', bands: b, series: (['p50', 'p95', 'p99'] as const).map((p) => series(p, (s) => s.latencyMs?.[p])) },
    'freshness.png': {
      title: 'Freshness: event time to queryable in ClickHouse, by send second',
      yName: 'ms',
      bands: b,
      series: [
        { name: 'median', points: seconds.map((x) => [x, median(bySecond.get(x)!) ?? null]) },
        { name: 'max', points: seconds.map((x) => [x, Math.max(...bySecond.get(x)!)]) },
      ],
    },
    'consumer-lag.png': { title: 'Consumer lag (end offsets - committed)', yName: 'messages', bands: b, series: Object.keys(run.lagPeriodsS).map((g) => series(g, (s) => s.lag[g])) },
    'errors.png': {
      title: errorKinds.length === 0 ? 'Failed requests per second, by kind (none)' : 'Failed requests per second, by kind',
      yName: 'requests',
      bands: b,
      stacked: errorKinds.length > 0,
      series: errorKinds.length > 0 ? errorKinds.map((k) => series(k, (s) => s.errors[k] ?? 0)) : [series('failed', () => 0)],
    },
    'cpu.png': { title: 'CPU per process (100 % = one core)', yName: '%', bands: b, series: [...names.map((nm) => series(nm, (s) => s.cpuPercent[nm])), series('machine, all processes', (s) => s.machineCpuPercent)] },
    'rss.png': { title: 'Resident memory per process', yName: 'MiB', bands: b, series: names.map((nm) => series(nm, (s) => (s.rssBytes[nm] == null ? null : s.rssBytes[nm]! / 2 ** 20))) },
  };
}

export function summaryMarkdown(run: RunRecord, f: RunFigures, ctx: RunContext, sections: ScenarioSection[]): string {
  const L: string[] = [];
  const started = new Date(run.startedAt).toISOString();
  L.push(`# Load test \`${run.scenario}\`, ${started}`, '');
  if (run.interrupted) L.push('**Interrupted** (SIGINT/SIGTERM): the figures cover the run up to the stop.', '');
  L.push('## Conditions', '');
  L.push(`- command: \`${ctx.command}\``);
  L.push(`- topology: ${ctx.topology}; machine: ${ctx.machine}`);
  L.push(`- load average (1/5/15 min) at start ${ctx.loadAverageStart.map((v) => v.toFixed(2)).join(' / ')}, at end ${ctx.loadAverageEnd.map((v) => v.toFixed(2)).join(' / ')}`);
  L.push(`- machine CPU (all processes, 100 % = one core): idle baseline ${pct(f.machineCpu.baseline)}, under load ${pct(f.machineCpu.load)}, of which processes outside the stack and this load generator ${pct(f.machineCpu.otherLoad)}`);
  L.push(`- run tag (attempt_id prefix of every event): \`${run.runTag}\`; parameters: \`${JSON.stringify(ctx.params)}\``);
  L.push(`- duration ${f.seconds.toFixed(0)} s, of which load ${f.load.seconds.toFixed(0)} s`, '');

  L.push('## Service levels', '');
  L.push(`Targets: ingest p99 <= ${SERVICE_LEVELS.ingestP99Ms} ms, freshness p99 <= ${SERVICE_LEVELS.freshnessP99Ms / 1000} s, no consumer lag growing.`, '');
  L.push(f.serviceLevels.ok ? '**Met** over the whole load.' : `**Broken** over the whole load: ${f.serviceLevels.broken.join('; ')}.`, '');
  for (const s of sections) L.push(`## ${s.heading}`, '', s.markdown.trimEnd(), '');

  L.push('## Throughput', '');
  L.push('| phase | offered events/s | batch (events/request) | seconds | accepted events/s | ingest p50 / p95 / p99 / max | freshness p50 / p99 / max (markers, missing) |', '|---|---|---|---|---|---|---|');
  for (const p of f.phases) {
    L.push(`| ${p.name} | ${n0(p.offeredRate)} | ${p.batch} | ${p.seconds.toFixed(1)} | ${n0(p.acceptedRate)} | ${ms(p.latency.p50)} / ${ms(p.latency.p95)} / ${ms(p.latency.p99)} / ${ms(p.latency.max)} | ${ms(p.freshness.p50)} / ${ms(p.freshness.p99)} / ${ms(p.freshness.max)} (${p.freshness.markers}, ${p.freshness.missing}) |`);
  }
  L.push(`| **all load** | ${n0(f.load.offeredRate)} | | ${f.load.seconds.toFixed(1)} | ${n0(f.load.acceptedRate)} | ${ms(f.latency.p50)} / ${ms(f.latency.p95)} / ${ms(f.latency.p99)} / ${ms(f.latency.max)} | ${ms(f.freshness.p50)} / ${ms(f.freshness.p99)} / ${ms(f.freshness.max)} (${f.freshness.markers}, ${f.freshness.missing}) |`, '');
  L.push(`Requests sent: ${n0(f.load.requests)}; events accepted: ${n0(f.load.acceptedEvents)}.`, '');
  for (const p of f.phases.filter((ph) => ph.seconds > ph.plannedSeconds * 1.1 + 2)) {
    L.push(`**${p.name} could not be offered at ${n0(p.offeredRate)} events/s:** its ${p.plannedSeconds} s of requests took ${p.seconds.toFixed(0)} s (${n0(p.acceptedRate)} events/s), because answers came too slowly for the connections (each waits for its answer before the next request).`, '');
  }

  L.push('## Stored and errors', '');
  if (f.stored) {
    L.push(`- accepted by the gateway: ${n0(f.stored.accepted)} events; in ClickHouse: ${n0(f.stored.distinct)} distinct (${n0(f.stored.rows)} rows); **lost ${n0(f.stored.lost)}, duplicated ${n0(f.stored.duplicates)}**${f.stored.unconfirmed > 0 ? `; ${n0(f.stored.unconfirmed)} more than accepted, from requests whose answer never came` : ''}`);
  } else {
    L.push('- stored events were not counted (the run was stopped before the drain)');
  }
  const errs = Object.entries(f.errors);
  L.push(`- failed requests by kind: ${errs.length === 0 ? 'none' : errs.map(([k, v]) => `${k} ${n0(v)}`).join(', ')}`);
  for (const [reason, n] of Object.entries(f.refusals)) L.push(`- refused ${n0(n)} times: ${reason}`);
  L.push(`- requests without an answer (outcome unknown): ${n0(f.unknownOutcome)}`, '');

  L.push('## Consumer lag', '');
  L.push('Growing: the floor of the lag (its minimum per commit period) rose by more than 2 % of the events offered meanwhile.', '');
  L.push('| group | max | at end | floor, first -> last commit period | growing |', '|---|---|---|---|---|');
  for (const [g, l] of Object.entries(f.lag)) {
    const floors = l.trend ? `${n0(l.trend.floors[0])} -> ${n0(l.trend.floors[l.trend.floors.length - 1])} (${l.trend.floors.length} periods of ${run.lagPeriodsS[g]} s)` : `too short to judge (period ${run.lagPeriodsS[g]} s)`;
    L.push(`| ${g} | ${n0(l.max)} | ${n0(l.end)} | ${floors} | ${l.trend ? (l.trend.growing ? '**yes**' : 'no') : 'n/a'} |`);
  }
  L.push('');

  L.push('## CPU and memory per process', '');
  L.push('CPU: 100 % = one core; baseline = before the load, with no load-test traffic; RSS includes the process group (JVM wrappers, esbuild).', '');
  L.push('| process | CPU baseline | CPU under load (mean / max) | RSS start | RSS end | RSS max |', '|---|---|---|---|---|---|');
  for (const [name, p] of Object.entries(f.processes)) L.push(`| ${name} | ${pct(p.cpuBaseline)} | ${pct(p.cpuLoad)} / ${pct(p.cpuMax)} | ${mib(p.rssStart)} | ${mib(p.rssEnd)} | ${mib(p.rssMax)} |`);
  L.push('');

  L.push('## Per-stage CPU cost', '');
  L.push('Core-seconds per 1,000 events. Gross: the stage\'s mean CPU under load / accepted events/s. Net: CPU above the idle baseline, summed over load and drain, / events accepted.', '');
  L.push('| stage | processes | CPU baseline | CPU under load | gross | net |', '|---|---|---|---|---|---|');
  for (const [stage, c] of Object.entries(f.stageCosts)) L.push(`| ${stage} | ${c.processes.join(', ')} | ${pct(c.cpuBaseline)} | ${pct(c.cpuLoad)} | ${cost(c.grossPer1000)} | ${cost(c.netPer1000)} |`);
  L.push('');

  L.push('## Plots', '');
  for (const file of PLOT_FILES) L.push(`![${file}](${file})`);
  L.push('', 'Every sample is in `run.json`.', '');
  return L.join('\n');
}

/** Writes the folder and returns its path. */
export function writeReport(dir: string, run: RunRecord, figures: RunFigures, ctx: RunContext, sections: ScenarioSection[]): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, plot] of Object.entries(plots(run))) fs.writeFileSync(path.join(dir, file), plotPng(plot));
  fs.writeFileSync(path.join(dir, 'summary.md'), summaryMarkdown(run, figures, ctx, sections));
  const { latencies: _latencies, ...rest } = run;
  fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ context: ctx, figures, scenario: Object.fromEntries(sections.map((s) => [s.heading, s.figures])), run: rest }, (_k, v: unknown) => (v === Number.POSITIVE_INFINITY ? 'never' : v), 1));
  return dir;
}
