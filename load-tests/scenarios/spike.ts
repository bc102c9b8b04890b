import type { RunRecord } from '../harness/analysis';
import type { Marker } from '../harness/freshness';
import type { ScenarioSection } from '../harness/report';
import type { Sample } from '../harness/sampler';
import type { Scenario } from './runner';

/**
 * `spike`: the base rate, then `multiplier` x the base for `spikeSeconds`, then the base again.
 * Recovery is measured from the end of the spike:
 *   - lag, per group: until the lag is back at or under the highest it reached before the spike
 *     (at least one second of base traffic) and stays there;
 *   - freshness: until markers are back at or under the worst freshness before the spike (at least
 *     1 s) and stay there.
 */

export const SPIKE_DEFAULTS = { rate: 1000, multiplier: 10, beforeSeconds: 90, spikeSeconds: 30, afterSeconds: 180 } as const;

export interface SpikeOptions { rate: number; multiplier: number; beforeSeconds: number; spikeSeconds: number; afterSeconds: number }

/** Seconds from `from` until the series is at or under `threshold` for good; 0 if it never exceeded it; null if it ends above it. */
export function recoverySeconds(points: readonly { at: number; value: number | null }[], from: number, threshold: number): number | null {
  const after = points.filter((p) => p.at >= from && p.value !== null);
  if (after.length === 0) return null;
  let lastAbove = -1;
  after.forEach((p, i) => {
    if (p.value! > threshold) lastAbove = i;
  });
  if (lastAbove === after.length - 1) return null;
  return lastAbove === -1 ? 0 : Math.max(0, (after[lastAbove + 1].at - from) / 1000);
}

export interface SpikeRecovery {
  spikeEndedAt: number;
  lag: Record<string, { threshold: number; peak?: number; recoverySeconds: number | null }>;
  freshness: { thresholdMs: number; peakMs?: number; recoverySeconds: number | null };
}

export function spikeRecovery(run: RunRecord, rate: number): SpikeRecovery | undefined {
  const before = run.phases.find((p) => p.name === 'before');
  const spike = run.phases.find((p) => p.name === 'spike');
  if (!before || !spike) return undefined;
  const beforeSamples = run.samples.filter((s) => s.phase === 'before');
  const after = run.samples.filter((s) => s.at >= spike.startedAt);
  const lag: SpikeRecovery['lag'] = {};
  for (const group of Object.keys(run.lagPeriodsS)) {
    const pre = beforeSamples.flatMap((s) => (s.lag[group] == null ? [] : [s.lag[group]!]));
    const threshold = Math.max(rate, ...pre);
    const values = after.flatMap((s: Sample) => (s.lag[group] == null ? [] : [s.lag[group]!]));
    lag[group] = { threshold, peak: values.length > 0 ? Math.max(...values) : undefined, recoverySeconds: recoverySeconds(after.map((s) => ({ at: s.at, value: s.lag[group] })), spike.endedAt, threshold) };
  }
  const freshnessOf = (m: Marker) => (m.seenAtMs === undefined ? Number.POSITIVE_INFINITY : m.seenAtMs - m.sentAtMs);
  const preMarkers = run.markers.filter((m) => m.sentAtMs >= before.startedAt && m.sentAtMs < before.endedAt);
  const thresholdMs = Math.max(1000, ...preMarkers.map(freshnessOf).filter(Number.isFinite));
  const later = run.markers.filter((m) => m.sentAtMs >= spike.startedAt);
  return {
    spikeEndedAt: spike.endedAt,
    lag,
    freshness: {
      thresholdMs,
      peakMs: later.length > 0 ? Math.max(...later.map(freshnessOf)) : undefined,
      recoverySeconds: recoverySeconds(later.map((m) => ({ at: m.sentAtMs, value: freshnessOf(m) })), spike.endedAt, thresholdMs),
    },
  };
}

export function spikeScenario(opts: SpikeOptions): Scenario {
  return {
    name: 'spike',
    params: { ...opts },
    async run(ctx) {
      await ctx.phase('before', opts.rate, opts.beforeSeconds);
      if (ctx.signal.aborted) return;
      await ctx.phase('spike', opts.rate * opts.multiplier, opts.spikeSeconds);
      if (ctx.signal.aborted) return;
      await ctx.phase('after', opts.rate, opts.afterSeconds);
    },
    findings(run, figures): ScenarioSection[] {
      const r = spikeRecovery(run, opts.rate);
      if (!r) return [{ heading: 'Spike recovery', markdown: 'The run stopped before the spike ended: no recovery to measure.', figures: {} }];
      const secs = (v: number | null) => (v === null ? '**not recovered by the end of the run**' : `${v.toFixed(0)} s`);
      const spike = figures.phases.find((p) => p.name === 'spike');
      const rows = Object.entries(r.lag).map(([g, l]) => `| lag of ${g} | ${Math.round(l.threshold).toLocaleString('en-US')} messages | ${l.peak === undefined ? 'n/a' : Math.round(l.peak).toLocaleString('en-US')} | ${secs(l.recoverySeconds)} |`);
      const fresh = (v: number | undefined) => (v === undefined ? 'n/a' : Number.isFinite(v) ? `${(v / 1000).toFixed(2)} s` : 'never seen');
      return [
        {
          heading: 'Spike recovery',
          markdown: [
            `Spike: ${opts.multiplier}x ${opts.rate.toLocaleString('en-US')} events/s for ${opts.spikeSeconds} s; accepted during it: ${spike ? Math.round(spike.acceptedRate).toLocaleString('en-US') : 'n/a'} events/s. Recovery counts from the end of the spike until the figure is back at its level before the spike for good.`,
            '',
            '| figure | back at or under (pre-spike level) | peak from the spike on | recovery time |',
            '|---|---|---|---|',
            ...rows,
            `| freshness | ${fresh(r.freshness.thresholdMs)} | ${fresh(r.freshness.peakMs)} | ${secs(r.freshness.recoverySeconds)} |`,
          ].join('\n'),
          figures: { ...r },
        },
      ];
    },
  };
}
