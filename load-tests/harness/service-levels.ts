import type { Sample } from './sampler';

/**
 * The service levels of issue 8 and how a window of samples is judged against them:
 * p99 ingest latency (HTTP 202) <= 100 ms, freshness p99 <= 5 s, and no consumer group falling
 * behind.
 */

export const SERVICE_LEVELS = { ingestP99Ms: 100, freshnessP99Ms: 5000 } as const;

/**
 * A group falls behind when the floor of its lag rises. Lag is a sawtooth (each group commits in
 * steps: a transaction, a ClickHouse block, a chart window), so the window is cut into periods at
 * least as long as the group's commit period and the minimum of each is compared: growing when the
 * last floor exceeds the first by more than 2 % of the events offered in between, and by more
 * than one second of traffic. Undefined (not judged) when the window holds fewer than two periods.
 */
export interface LagTrend { floors: number[]; growth: number; growing: boolean }

export function lagTrend(samples: readonly Sample[], group: string, periodS: number, offeredRate: number): LagTrend | undefined {
  if (samples.length === 0) return undefined;
  const t0 = samples[0].t;
  const periods = Math.floor((samples[samples.length - 1].t - t0 + 1) / periodS);
  if (periods < 2) return undefined;
  const floors: number[] = [];
  for (let k = 0; k < periods; k++) {
    const lags = samples.filter((s) => s.t - t0 >= k * periodS && s.t - t0 < (k + 1) * periodS).flatMap((s) => (s.lag[group] == null ? [] : [s.lag[group]!]));
    if (lags.length > 0) floors.push(Math.min(...lags));
  }
  if (floors.length < 2) return undefined;
  const growth = floors[floors.length - 1] - floors[0];
  const between = (periods - 1) * periodS * offeredRate;
  return { floors, growth, growing: growth > Math.max(0.02 * between, offeredRate) };
}

export interface ServiceLevelFigures {
  ingestP99Ms?: number;
  freshnessP99Ms?: number;
  /** Lag trend per group; undefined where the window is too short to judge. */
  lag: Record<string, LagTrend | undefined>;
}

export interface Verdict { ok: boolean; broken: string[] }

export function judge(f: ServiceLevelFigures): Verdict {
  const broken: string[] = [];
  if (f.ingestP99Ms === undefined || f.ingestP99Ms > SERVICE_LEVELS.ingestP99Ms) broken.push(`ingest p99 ${fmt(f.ingestP99Ms)} > ${SERVICE_LEVELS.ingestP99Ms} ms`);
  if (f.freshnessP99Ms === undefined || f.freshnessP99Ms > SERVICE_LEVELS.freshnessP99Ms) broken.push(`freshness p99 ${fmt(f.freshnessP99Ms)} > ${SERVICE_LEVELS.freshnessP99Ms} ms`);
  for (const [group, trend] of Object.entries(f.lag)) if (trend?.growing) broken.push(`lag of ${group} growing (+${trend.growth} messages)`);
  return { ok: broken.length === 0, broken };
}

const fmt = (v: number | undefined) => (v === undefined ? 'not measured' : Number.isFinite(v) ? `${Math.round(v)} ms` : 'never seen');
