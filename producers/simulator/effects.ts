import { type Incident, incidentProblem } from './incidents';
import { rankOfSellerId, sellerIdForRank } from './sellers';

/**
 * Incidents compiled for the generator's hot loop: windows as float ns offsets from the run
 * start, targets as origin indices and seller ranks, so a check is a few number comparisons.
 */

interface Span {
  from: number;
  to: number;
}
interface FailureRule extends Span {
  origin: number; // -1: any
  country: string | undefined;
  probability: number;
}
interface DriftRule extends Span {
  origin: number; // -1: any
  gain: number; // multiplier at the end minus 1
}
interface SellerSpan extends Span {
  rank: number;
}
export interface BurstRule extends SellerSpan {
  multiplier: number;
}

export interface Effects {
  /** Failure probability of an attempt ending at offset t (the highest applicable one wins). */
  failureProbability(base: number, origin: number, country: string, t: number): number;
  /** Factor on the latency median at offset t (drifts compound). */
  latencyMultiplier(origin: number, t: number): number;
  isSilent(rank: number, t: number): boolean;
  readonly bursts: readonly BurstRule[];
}

export interface EffectsContext {
  start: bigint;
  origins: readonly string[];
  countries: readonly string[];
  sellers: number;
}

export function compileEffects(incidents: readonly Incident[], ctx: EffectsContext): Effects {
  const failures: FailureRule[] = [];
  const drifts: DriftRule[] = [];
  const silences: SellerSpan[] = [];
  const bursts: BurstRule[] = [];
  incidents.forEach((incident, n) => {
    function fail(why: string): never {
      throw new Error(`incidents[${n}] (${incident.kind}): ${why}`);
    }
    const problem = incidentProblem(incident);
    if (problem !== undefined) fail(problem);
    const { origin, country, sellerId } = incident.target;
    const originIndex = origin === undefined ? -1 : ctx.origins.indexOf(origin);
    if (originIndex < 0 && origin !== undefined) fail(`origin "${origin}" is not simulated; expected one of ${ctx.origins.join(', ')}`);
    if (country !== undefined && !ctx.countries.includes(country)) fail(`country "${country}" is not simulated; expected one of ${ctx.countries.join(', ')}`);
    const rank = sellerId === undefined ? 0 : rankOfSellerId(sellerId, ctx.sellers);
    if (rank === undefined) fail(`seller ${sellerId} is not simulated; ids run from ${sellerIdForRank(1)} (rank 1) to ${sellerIdForRank(ctx.sellers)} (rank ${ctx.sellers})`);
    const span = { from: Number(incident.startNs - ctx.start), to: Number(incident.endNs - ctx.start) };
    switch (incident.kind) {
      case 'failure-spike':
      case 'error-storm':
        failures.push({ ...span, origin: originIndex, country, probability: incident.magnitude });
        break;
      case 'latency-drift':
        drifts.push({ ...span, origin: originIndex, gain: incident.magnitude - 1 });
        break;
      case 'seller-silent':
        silences.push({ ...span, rank });
        break;
      case 'seller-burst':
        bursts.push({ ...span, rank, multiplier: incident.magnitude });
        break;
    }
  });
  return {
    bursts,
    failureProbability(base, origin, country, t) {
      let p = base;
      for (const f of failures) {
        if (t >= f.from && t < f.to && (f.origin < 0 || f.origin === origin) && (f.country === undefined || f.country === country) && f.probability > p) p = f.probability;
      }
      return p;
    },
    latencyMultiplier(origin, t) {
      let m = 1;
      for (const d of drifts) {
        if (t >= d.from && t < d.to && (d.origin < 0 || d.origin === origin)) m *= 1 + (d.gain * (t - d.from)) / (d.to - d.from);
      }
      return m;
    },
    isSilent(rank, t) {
      for (const s of silences) if (s.rank === rank && t >= s.from && t < s.to) return true;
      return false;
    },
  };
}
