import { freshnessOf, type FreshnessSummary, type Marker } from './freshness';
import type { PhaseTotals } from './gateway-load';
import type { WatchedProcess } from './process-usage';
import type { Sample } from './sampler';
import { judge, lagTrend, type LagTrend, type Verdict } from './service-levels';
import { distribution, mean, type Distribution, type FloatLog } from './stats';
import type { StoredCount } from './stored-events';

/** The figures of a run, computed from what the sampler, the load and the freshness probe recorded. */

export interface PhaseRecord {
  name: string;
  /** Events/s offered and the planned length: a phase whose answers come too slowly runs longer at a lower rate. */
  rate: number;
  plannedSeconds: number;
  batch: number;
  startedAt: number;
  endedAt: number;
  totals: PhaseTotals;
}

export interface RunRecord {
  scenario: string;
  runTag: string;
  startedAt: number;
  endedAt: number;
  interrupted: boolean;
  phases: PhaseRecord[];
  samples: Sample[];
  latencies: Map<string, FloatLog>;
  markers: readonly Marker[];
  stored: StoredCount | undefined;
  processes: WatchedProcess[];
  /** Per group, the period over which its lag floor is compared (its commit cadence). */
  lagPeriodsS: Record<string, number>;
}

/** Samples that are not load: before the first phase and after the last. */
export const BASELINE = 'baseline';
export const DRAIN = 'drain';
export const isLoad = (s: Sample): boolean => s.phase !== BASELINE && s.phase !== DRAIN && s.phase !== 'idle';

/** The pipeline's stages and the stack components whose processes do their work. */
export const STAGES: Record<string, string[]> = {
  gateway: ['gateway'],
  broker: ['kafka'],
  curate: ['curate'],
  'ClickHouse insert': ['clickhouse'],
  'anomaly worker': ['anomaly'],
};

export interface ProcessFigures { component: string; cpuBaseline?: number; cpuLoad?: number; cpuMax?: number; rssStart?: number; rssEnd?: number; rssMax?: number }
export interface StageCost { processes: string[]; cpuBaseline?: number; cpuLoad?: number; grossPer1000?: number; netPer1000?: number }

export interface RunFigures {
  seconds: number;
  load: { offeredRate: number; requests: number; acceptedEvents: number; acceptedRate: number; seconds: number };
  phases: { name: string; offeredRate: number; plannedSeconds: number; batch: number; seconds: number; acceptedRate: number; latency: Distribution; freshness: FreshnessSummary }[];
  latency: Distribution;
  freshness: FreshnessSummary;
  lag: Record<string, { max?: number; end?: number; trend?: LagTrend }>;
  errors: Record<string, number>;
  /** Refused requests by the gateway's reason. */
  refusals: Record<string, number>;
  unknownOutcome: number;
  /** `unconfirmed`: stored events beyond those accepted, from requests whose answer never came (a stop, a timeout). */
  stored?: StoredCount & { accepted: number; lost: number; duplicates: number; unconfirmed: number };
  processes: Record<string, ProcessFigures>;
  machineCpu: { baseline?: number; load?: number; otherLoad?: number };
  stageCosts: Record<string, StageCost>;
  serviceLevels: Verdict;
}

const definedValues = (values: (number | null | undefined)[]): number[] => values.filter((v): v is number => v !== null && v !== undefined);

export function markersIn(markers: readonly Marker[], from: number, to: number): Marker[] {
  return markers.filter((m) => m.sentAtMs >= from && m.sentAtMs < to);
}

export function latencyOf(latencies: Map<string, FloatLog>, phases: string[]): Distribution {
  const parts = phases.flatMap((p) => (latencies.has(p) ? [latencies.get(p)!.values()] : []));
  const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return distribution(all);
}

/** Lag trend of every group over `samples` at the offered rate. */
export function lagTrends(samples: readonly Sample[], periods: Record<string, number>, offeredRate: number): Record<string, LagTrend | undefined> {
  return Object.fromEntries(Object.entries(periods).map(([group, period]) => [group, lagTrend(samples, group, period, offeredRate)]));
}

function processFigures(run: RunRecord, load: Sample[], baseline: Sample[]): Record<string, ProcessFigures> {
  const out: Record<string, ProcessFigures> = {};
  const measured = load.length > 0 ? load : run.samples;
  for (const p of run.processes) {
    const cpu = (ss: Sample[]) => definedValues(ss.map((s) => s.cpuPercent[p.name]));
    const rss = definedValues(measured.map((s) => s.rssBytes[p.name]));
    out[p.name] = {
      component: p.component,
      cpuBaseline: mean(cpu(baseline)),
      cpuLoad: mean(cpu(load)),
      cpuMax: cpu(load).length > 0 ? Math.max(...cpu(load)) : undefined,
      rssStart: rss[0],
      rssEnd: rss[rss.length - 1],
      rssMax: rss.length > 0 ? Math.max(...rss) : undefined,
    };
  }
  return out;
}

/**
 * Core-seconds per 1,000 events of each stage. Gross: the stage's mean CPU under load over the
 * accepted rate. Net: its CPU above its idle baseline, integrated over the load and the drain
 * (work on a backlog counts), over the events accepted.
 */
function stageCosts(run: RunRecord, procs: Record<string, ProcessFigures>, acceptedEvents: number, acceptedRate: number): Record<string, StageCost> {
  const out: Record<string, StageCost> = {};
  for (const [stage, components] of Object.entries(STAGES)) {
    const names = run.processes.filter((p) => components.includes(p.component)).map((p) => p.name);
    if (names.length === 0) continue;
    const sum = (f: (p: ProcessFigures) => number | undefined) => {
      const v = names.map((n) => f(procs[n]));
      return v.every((x) => x !== undefined) ? (v as number[]).reduce((a, b) => a + b, 0) : undefined;
    };
    const cpuLoad = sum((p) => p.cpuLoad);
    const cpuBaseline = sum((p) => p.cpuBaseline);
    let netCoreSeconds: number | undefined;
    if (cpuBaseline !== undefined) {
      netCoreSeconds = 0;
      // A sample's CPU is that of the interval since the sample before it.
      for (let i = 1; i < run.samples.length; i++) {
        const s = run.samples[i];
        if (s.phase === BASELINE || s.phase === 'idle') continue;
        const cpu = names.reduce((a, n) => a + (s.cpuPercent[n] ?? 0), 0);
        netCoreSeconds += ((cpu - cpuBaseline) / 100) * ((s.at - run.samples[i - 1].at) / 1000);
      }
    }
    out[stage] = {
      processes: names,
      cpuBaseline,
      cpuLoad,
      grossPer1000: cpuLoad !== undefined && acceptedRate > 0 ? (cpuLoad / 100 / acceptedRate) * 1000 : undefined,
      netPer1000: netCoreSeconds !== undefined && acceptedEvents > 0 ? (Math.max(0, netCoreSeconds) / acceptedEvents) * 1000 : undefined,
    };
  }
  return out;
}

export function analyse(run: RunRecord): RunFigures {
  const load = run.samples.filter(isLoad);
  const baseline = run.samples.filter((s) => s.phase === BASELINE);
  const loadPhases = run.phases;
  const loadSeconds = loadPhases.reduce((a, p) => a + (p.endedAt - p.startedAt) / 1000, 0);
  const acceptedEvents = run.samples.reduce((a, s) => a + s.acceptedEvents, 0);
  const requests = loadPhases.reduce((a, p) => a + p.totals.sent, 0);
  const offeredEvents = loadPhases.reduce((a, p) => a + p.rate * ((p.endedAt - p.startedAt) / 1000), 0);
  const acceptedRate = loadSeconds > 0 ? acceptedEvents / loadSeconds : 0;
  const offeredRate = loadSeconds > 0 ? offeredEvents / loadSeconds : 0;
  const from = loadPhases[0]?.startedAt ?? run.startedAt;
  const to = loadPhases[loadPhases.length - 1]?.endedAt ?? run.endedAt;

  const errors: Record<string, number> = {};
  for (const s of run.samples) for (const [k, n] of Object.entries(s.errors)) errors[k] = (errors[k] ?? 0) + n;
  const refusals: Record<string, number> = {};
  for (const p of loadPhases) for (const [k, n] of Object.entries(p.totals.refusals)) refusals[k] = (refusals[k] ?? 0) + n;
  const trends = lagTrends(load, run.lagPeriodsS, offeredRate);
  const lag = Object.fromEntries(
    Object.keys(run.lagPeriodsS).map((group) => {
      const values = definedValues(run.samples.filter((s) => s.phase !== BASELINE).map((s) => s.lag[group]));
      return [group, { max: values.length > 0 ? Math.max(...values) : undefined, end: values[values.length - 1], trend: trends[group] }];
    }),
  );
  const latency = latencyOf(run.latencies, loadPhases.map((p) => p.name));
  const freshness = freshnessOf(markersIn(run.markers, from, to));
  const processes = processFigures(run, load, baseline);
  const watchedLoad = mean(load.map((s) => Object.values(s.cpuPercent).reduce<number>((a, v) => a + (v ?? 0), 0)));
  const machineLoad = mean(definedValues(load.map((s) => s.machineCpuPercent)));
  const accepted = loadPhases.reduce((a, p) => a + (p.totals.byStatus['202'] ?? 0) * p.batch, 0);

  return {
    seconds: (run.endedAt - run.startedAt) / 1000,
    load: { offeredRate, requests, acceptedEvents, acceptedRate, seconds: loadSeconds },
    phases: loadPhases.map((p) => {
      const seconds = (p.endedAt - p.startedAt) / 1000;
      return {
        name: p.name,
        offeredRate: p.rate,
        plannedSeconds: p.plannedSeconds,
        batch: p.batch,
        seconds,
        acceptedRate: ((p.totals.byStatus['202'] ?? 0) * p.batch) / seconds,
        latency: latencyOf(run.latencies, [p.name]),
        freshness: freshnessOf(markersIn(run.markers, p.startedAt, p.endedAt)),
      };
    }),
    latency,
    freshness,
    lag,
    errors,
    refusals,
    unknownOutcome: loadPhases.reduce((a, p) => a + p.totals.unknownOutcome, 0),
    stored: run.stored ? { ...run.stored, accepted, lost: Math.max(0, accepted - run.stored.distinct), duplicates: run.stored.rows - run.stored.distinct, unconfirmed: Math.max(0, run.stored.distinct - accepted) } : undefined,
    processes,
    machineCpu: {
      baseline: mean(definedValues(baseline.map((s) => s.machineCpuPercent))),
      load: machineLoad,
      otherLoad: machineLoad !== undefined && watchedLoad !== undefined ? Math.max(0, machineLoad - watchedLoad) : undefined,
    },
    stageCosts: stageCosts(run, processes, acceptedEvents, acceptedRate),
    serviceLevels: judge({ ingestP99Ms: latency.p99, freshnessP99Ms: freshness.p99, lag: trends }),
  };
}
