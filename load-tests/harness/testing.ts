import type { PhaseRecord, RunRecord } from './analysis';
import type { Marker } from './freshness';
import type { WatchedProcess } from './process-usage';
import type { Sample } from './sampler';
import { FloatLog } from './stats';

/**
 * A synthetic run for tests of the analysis, the report and the scenarios' findings: `baseline`
 * idle seconds, then one phase per entry of `phases` (events/s, seconds), then `drain` idle seconds,
 * one sample a second. CPU of a process is its `idle` figure plus `perKiloEvents` per 1,000 events/s.
 */

export interface SyntheticOptions {
  baseline?: number;
  drain?: number;
  phases: { name: string; rate: number; seconds: number }[];
  batch?: number;
  processes?: (WatchedProcess & { idle: number; perKiloEvents: number; rss?: (t: number) => number })[];
  lag?: (t: number, phase: string) => Record<string, number | null>;
  freshnessMs?: (sentAtMs: number) => number | undefined;
  latencyMs?: number;
  stored?: { rows: number; distinct: number };
}

export const START = 1_764_212_400_000;

export function syntheticRun(o: SyntheticOptions): RunRecord {
  const baseline = o.baseline ?? 5;
  const drain = o.drain ?? 5;
  const batch = o.batch ?? 10;
  const processes = o.processes ?? [];
  const samples: Sample[] = [];
  const phases: PhaseRecord[] = [];
  const latencies = new Map<string, FloatLog>();
  const markers: Marker[] = [];
  let t = 0;
  const push = (phase: string, rate: number) => {
    t += 1;
    const load = phase !== 'baseline' && phase !== 'drain';
    const cpu = Object.fromEntries(processes.map((p) => [p.name, p.idle + (load ? (p.perKiloEvents * rate) / 1000 : 0)]));
    samples.push({
      t,
      at: START + t * 1000,
      phase,
      offeredRate: load ? rate : 0,
      answered: load ? rate / batch : 0,
      acceptedEvents: load ? rate : 0,
      latencyMs: load ? { p50: o.latencyMs ?? 10, p95: o.latencyMs ?? 10, p99: o.latencyMs ?? 10, max: o.latencyMs ?? 10 } : null,
      errors: {},
      lag: o.lag?.(t, phase) ?? {},
      cpuPercent: cpu,
      rssBytes: Object.fromEntries(processes.map((p) => [p.name, p.rss?.(t) ?? 100 * 2 ** 20])),
      machineCpuPercent: Object.values(cpu).reduce((a, b) => a + b, 0) + 10,
    });
  };
  for (let i = 0; i < baseline; i++) push('baseline', 0);
  for (const p of o.phases) {
    const startedAt = START + (t + 0) * 1000;
    const log = new FloatLog();
    for (let i = 0; i < p.seconds; i++) {
      push(p.name, p.rate);
      for (let r = 0; r < p.rate / batch; r++) log.push(o.latencyMs ?? 10);
      for (let m = 0; m < 10; m++) {
        const sentAtMs = startedAt + i * 1000 + m * 100;
        const lag = o.freshnessMs ? o.freshnessMs(sentAtMs) : 1500;
        markers.push({ key: String(sentAtMs), sentAtMs, seenAtMs: lag === undefined ? undefined : sentAtMs + lag });
      }
    }
    latencies.set(p.name, log);
    const requests = (p.rate / batch) * p.seconds;
    phases.push({ name: p.name, rate: p.rate, plannedSeconds: p.seconds, batch, startedAt, endedAt: START + t * 1000, totals: { requestsPerSecond: p.rate / batch, sent: requests, answered: requests, byStatus: { 202: requests }, refusals: {}, errors: {}, unknownOutcome: 0, seconds: p.seconds, lastAnswerAt: START + t * 1000, stoppedEarly: false } });
  }
  for (let i = 0; i < drain; i++) push('drain', 0);
  const accepted = o.phases.reduce((a, p) => a + p.rate * p.seconds, 0);
  return {
    scenario: 'synthetic',
    runTag: 'lt-synthetic-1',
    startedAt: START,
    endedAt: START + (t + 1) * 1000,
    interrupted: false,
    phases,
    samples,
    latencies,
    markers,
    stored: o.stored ?? { rows: accepted, distinct: accepted },
    processes: processes.map(({ name, component, pid }) => ({ name, component, pid })),
    lagPeriodsS: { curate: 5, ingest: 10 },
  };
}
