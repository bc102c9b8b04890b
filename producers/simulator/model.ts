import type { EventType, MediaFile, UploadEvent } from '../../schemas/upload-event';
import { createCycle } from './cycles';
import { compileEffects } from './effects';
import type { Incident } from './incidents';
import { CATEGORIES, DEFAULT_COUNTRIES, DEFAULT_ORIGINS, MEDIA, type OriginProfile, STEP_SIGMA } from './profiles';
import { createRng, exponential, logNormal, poisson, uniformInt, weightedChoice } from './random';
import { buildPopulation, type Seller } from './sellers';
import { TimedHeap } from './timed-heap';

/**
 * The traffic model: upload events of a seller population as a lazy, infinite stream in event-time
 * order, fully determined by (seed, start, options). Attempts arrive as a non-homogeneous Poisson
 * process (thinning against the daily/weekly cycle); each attempt then emits its UPDATEs and a
 * final SAVE or ERROR at log-normal gaps, interleaved with other attempts through a min-heap.
 * Time runs as float ns offsets from `start` and becomes bigint once per event.
 */

export interface TrafficOptions {
  seed: number;
  /** Event time of the run start, ns since epoch (from 2000-01-01 on). */
  start: bigint;
  /** Mean events/s over a week (the cycle averages exactly 1); default 1000. */
  rate?: number;
  /** Number of sellers; default 5000. */
  sellers?: number;
  /** Zipf exponent of seller volume by rank; default 1.1. */
  zipfExponent?: number;
  /** Share of attempts ending in ERROR, marketplace-wide, outside incidents; default 0.02. */
  failureRate?: number;
  /** Share of attempts that create a new item (the rest update an existing one); default 0.4. */
  newItemShare?: number;
  /** Daily swing of the rate, in [0, 1): 0.7 gives 0.3x at night to 1.7x at peak; default 0.7. */
  diurnalAmplitude?: number;
  /** Weekend volume relative to weekdays; default 0.7 (1 disables the weekly cycle). */
  weekendFactor?: number;
  /** Hour of the daily peak, UTC; default 13. */
  peakHourUtc?: number;
  /** Home-country weights by ISO alpha-2 code; default DEFAULT_COUNTRIES. */
  countries?: Readonly<Record<string, number>>;
  origins?: readonly OriginProfile[];
  incidents?: readonly Incident[];
}

/** What the options imply, for logs and checks (before incidents). */
export interface TrafficProfile {
  /** Expected events per attempt: 1 final event plus the mean number of UPDATEs. */
  eventsPerAttempt: number;
  /** Share of attempts by origin (sellers' preferences weighted by their volume). */
  originMix: Record<string, number>;
  /** Failure probability by origin, scaled so the mix fails at `failureRate`. */
  failureProbability: Record<string, number>;
}

export interface SellerSummary {
  rank: number;
  companyId: bigint;
  /** Expected share of the marketplace's attempts. */
  share: number;
  homeCountry: string;
}

export interface Traffic extends Iterable<UploadEvent> {
  /** The next event; ts never decreases. Events of one attempt share `data.media` and `data.info`: treat events as read-only. */
  next(): UploadEvent;
  /** ts of the event next() will return. */
  peekTs(): bigint;
  /** All further events with ts < endNs, in order; the stream continues from there. */
  takeUntil(endNs: bigint): UploadEvent[];
  readonly sellers: readonly SellerSummary[];
  readonly profile: TrafficProfile;
}

const DEFAULTS = {
  rate: 1000,
  sellers: 5000,
  zipfExponent: 1.1,
  failureRate: 0.02,
  newItemShare: 0.4,
  diurnalAmplitude: 0.7,
  weekendFactor: 0.7,
  peakHourUtc: 13,
} as const;

// Most of a seller's attempts come from its home country; the rest from anywhere.
const HOME_COUNTRY_SHARE = 0.95;
const MIN_START = 946_684_800_000_000_000n; // 2000-01-01T00:00:00Z: keeps up_ts = ts - latency positive
const POPULATION_STREAM = 1;
const TRAFFIC_STREAM = 2;
const NS_PER_S = 1e9;
const NS_PER_MS = 1e6;
// Hot-path aliases: globals are slow to resolve inside vm contexts such as jest's (see random.ts).
const { floor, round, min, max } = Math;
const bigint = BigInt;

class Attempt {
  first = true;
  constructor(
    /** Offset (ns from start) of the next event. */
    public t: number,
    /** Events still to emit, the next one included; the last is SAVE or ERROR. */
    public left: number,
    readonly seller: Seller,
    readonly origin: number,
    readonly country: string,
    readonly id: bigint,
    readonly isNew: boolean,
    readonly attemptId: string,
    readonly info: string,
    readonly media: MediaFile[],
  ) {}
}

interface BurstClock {
  seller: Seller;
  to: number;
  /** Candidate arrivals per ns (before thinning by the cycle). */
  rate: number;
  next: number;
}

export function createTraffic(options: TrafficOptions): Traffic {
  const o = resolveOptions(options);
  const originNames = o.origins.map((p) => p.name);
  const countryNames = Object.keys(o.countries);
  const { sellers, pick } = buildPopulation(createRng(o.seed, POPULATION_STREAM), {
    sellers: o.sellers,
    zipfExponent: o.zipfExponent,
    countries: countryNames,
    countryWeights: Object.values(o.countries),
    originWeights: o.origins.map((p) => p.weight),
  });
  const effects = compileEffects(o.incidents, { start: o.start, origins: originNames, countries: countryNames, sellers: o.sellers });
  const cycle = createCycle(o.start, o);
  const rng = createRng(o.seed, TRAFFIC_STREAM);

  const mix = new Float64Array(o.origins.length);
  for (const s of sellers) s.origins.probabilities.forEach((p, i) => (mix[i] += s.share * p));
  const eventsPerAttempt = 1 + o.origins.reduce((sum, p, i) => sum + mix[i] * p.meanUpdates, 0);
  const failureScale = o.failureRate / o.origins.reduce((sum, p, i) => sum + mix[i] * p.failureFactor, 0);
  const failureBase = o.origins.map((p) => min(1, p.failureFactor * failureScale));
  const profile: TrafficProfile = {
    eventsPerAttempt,
    originMix: Object.fromEntries(originNames.map((n, i) => [n, mix[i]])),
    failureProbability: Object.fromEntries(originNames.map((n, i) => [n, failureBase[i]])),
  };

  // Candidate attempts per ns at the cycle's maximum; thinning keeps a share cycle(t) / max.
  const candidateRate = ((o.rate / eventsPerAttempt) * cycle.max) / NS_PER_S;
  const latencyMedianNs = o.origins.map((p) => p.latencyMedianMs * NS_PER_MS);
  const latencySigma = o.origins.map((p) => p.latencySigma);
  const stepMedianNs = o.origins.map((p) => p.stepMedianMs * NS_PER_MS);
  const meanUpdates = o.origins.map((p) => p.meanUpdates);
  const countryPick = weightedChoice(Object.values(o.countries));
  // Seed and start in every attempt id: runs that differ in either never share an attempt id.
  const attemptPrefix = `${o.seed.toString(36)}-${(o.start / 1_000_000n).toString(36)}-`;
  let attemptSeq = 0;

  const open = new TimedHeap<Attempt>();
  let baseNext = exponential(rng, candidateRate);
  // A burst adds (multiplier - 1) x the seller's normal volume as its own arrival stream.
  const bursts: BurstClock[] = effects.bursts.map((b) => {
    const seller = sellers[b.rank - 1];
    const clock = { seller, to: b.to, rate: candidateRate * seller.share * (b.multiplier - 1), next: 0 };
    advance(clock, max(b.from, 0));
    return clock;
  });

  function advance(clock: BurstClock, from: number): void {
    const next = from + exponential(rng, clock.rate);
    clock.next = next < clock.to ? next : Infinity;
  }

  function startAttempt(seller: Seller, t: number): Attempt {
    const origin = seller.origins.sample(rng);
    const country = rng() < HOME_COUNTRY_SHARE ? seller.homeCountry : countryNames[countryPick.sample(rng)];
    const isNew = rng() < o.newItemShare;
    const k = isNew ? seller.catalogSize++ : uniformInt(rng, seller.catalogSize);
    const id = seller.itemIdBase + bigint(k + 1);
    const left = 1 + poisson(rng, meanUpdates[origin]);
    const info = `{"title_len":${8 + uniformInt(rng, 113)},"category":"${CATEGORIES[uniformInt(rng, CATEGORIES.length)]}"}`;
    const files = min(MEDIA.maxFiles, poisson(rng, MEDIA.meanFiles));
    const media: MediaFile[] = [];
    const itemPath = `https://cdn.example.test/${seller.companyIdText}/${id}/`;
    for (let n = 0; n < files; n++) {
      media.push({ url: `${itemPath}${n}.jpg`, size: bigint(round(logNormal(rng, MEDIA.sizeMedianBytes, MEDIA.sizeSigma))) });
    }
    return new Attempt(t, left, seller, origin, country, id, isNew, attemptPrefix + (attemptSeq++).toString(36), info, media);
  }

  /** The attempt's next event, or undefined if its seller is silent then (the attempt is dropped). */
  function emit(a: Attempt): UploadEvent | undefined {
    const t = a.t;
    if (effects.isSilent(a.seller.rank, t)) return undefined;
    const ts = o.start + bigint(floor(t));
    let event: EventType = 'UPDATE';
    if (a.left === 1) event = rng() < effects.failureProbability(failureBase[a.origin], a.origin, a.country, t) ? 'ERROR' : 'SAVE';
    const created = a.first && a.isNew;
    let upTs = 0n;
    if (created) {
      const latency = logNormal(rng, latencyMedianNs[a.origin] * effects.latencyMultiplier(a.origin, t), latencySigma[a.origin]);
      upTs = ts - bigint(round(latency));
    }
    a.first = false;
    if (--a.left > 0) {
      a.t = t + logNormal(rng, stepMedianNs[a.origin], STEP_SIGMA);
      open.push(a);
    }
    return {
      id: a.id,
      event,
      attempt_id: a.attemptId,
      is_created: created,
      origin: originNames[a.origin],
      up_ts: upTs,
      ts,
      country: a.country,
      data: { company_id: a.seller.companyId, info: a.info, media: a.media },
    };
  }

  function produce(): UploadEvent {
    for (;;) {
      let due = baseNext;
      let burst: BurstClock | undefined;
      for (const b of bursts) {
        if (b.next < due) {
          due = b.next;
          burst = b;
        }
      }
      const pending = open.peek();
      let event: UploadEvent | undefined;
      if (pending !== undefined && pending.t <= due) {
        open.pop();
        event = emit(pending);
      } else {
        event = arrive(due, burst);
      }
      if (event !== undefined) return event;
    }
  }

  /** A candidate arrival at `due`: kept with probability cycle(due) / max, then starts an attempt. */
  function arrive(due: number, burst: BurstClock | undefined): UploadEvent | undefined {
    if (burst === undefined) baseNext = due + exponential(rng, candidateRate);
    else advance(burst, due);
    if (rng() * cycle.max >= cycle.at(due)) return undefined;
    return emit(startAttempt(burst?.seller ?? sellers[pick.sample(rng)], due));
  }

  let buffered: UploadEvent | undefined;
  const peek = (): UploadEvent => (buffered ??= produce());
  const next = (): UploadEvent => {
    const event = peek();
    buffered = undefined;
    return event;
  };
  return {
    next,
    peekTs: () => peek().ts,
    takeUntil(endNs) {
      const out: UploadEvent[] = [];
      while (peek().ts < endNs) out.push(next());
      return out;
    },
    *[Symbol.iterator]() {
      for (;;) yield next();
    },
    sellers: sellers.map((s) => ({ rank: s.rank, companyId: s.companyId, share: s.share, homeCountry: s.homeCountry })),
    profile,
  };
}

type Resolved = Required<TrafficOptions>;

function resolveOptions(options: TrafficOptions): Resolved {
  const o: Resolved = { ...DEFAULTS, countries: DEFAULT_COUNTRIES, origins: DEFAULT_ORIGINS, incidents: [], ...withoutUndefined(options), seed: options.seed, start: options.start };
  const fraction = (name: keyof Resolved, v: number) => {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`${name} must be in [0, 1], got ${v}`);
  };
  if (o.start < MIN_START) throw new RangeError(`start must be ns since epoch from 2000-01-01 on, got ${o.start}`);
  if (!(o.rate > 0 && Number.isFinite(o.rate))) throw new RangeError(`rate must be a positive number of events/s, got ${o.rate}`);
  fraction('failureRate', o.failureRate);
  fraction('newItemShare', o.newItemShare);
  for (const [code, weight] of Object.entries(o.countries)) {
    if (!/^[A-Z]{2}$/.test(code)) throw new RangeError(`country "${code}" must be an ISO 3166-1 alpha-2 code, e.g. RU`);
    if (!(weight >= 0 && Number.isFinite(weight))) throw new RangeError(`country ${code}: weight must be a number >= 0, got ${weight}`);
  }
  if (!Object.values(o.countries).some((w) => w > 0)) throw new RangeError('countries must give at least one country a positive weight');
  if (o.origins.length === 0) throw new RangeError('origins must list at least one origin');
  const names = new Set<string>();
  for (const p of o.origins) {
    if (p.name.length === 0 || p.name.length > 64) throw new RangeError(`origin name "${p.name}" must be 1 to 64 characters`);
    if (names.has(p.name)) throw new RangeError(`origin "${p.name}" is listed twice`);
    names.add(p.name);
    for (const key of ['failureFactor', 'latencyMedianMs', 'latencySigma', 'stepMedianMs'] as const) {
      if (!(p[key] > 0 && Number.isFinite(p[key]))) throw new RangeError(`origin ${p.name}: ${key} must be a positive number, got ${p[key]}`);
    }
    for (const key of ['weight', 'meanUpdates'] as const) {
      if (!(p[key] >= 0 && Number.isFinite(p[key]))) throw new RangeError(`origin ${p.name}: ${key} must be a number >= 0, got ${p[key]}`);
    }
  }
  if (!o.origins.some((p) => p.weight > 0)) throw new RangeError('origins must give at least one origin a positive weight');
  return o;
}

/** Lets `{ rate: undefined }` mean "the default", as an optional CLI flag would pass it. */
function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
