import { DEFAULT_COUNTRIES, DEFAULT_ORIGINS } from './profiles';
import { createRng, uniformInt, weightedChoice } from './random';
import { SELLER_ID_BASE, sellerIdForRank } from './sellers';

/**
 * Incidents injected into the simulated traffic, with their ground truth: what a detector should
 * find, where and when. Windows are [startNs, endNs) in event time.
 */

export const INCIDENT_KINDS = ['failure-spike', 'latency-drift', 'seller-silent', 'seller-burst', 'error-storm'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

export interface IncidentTarget {
  origin?: string;
  country?: string;
  sellerId?: bigint;
}

/**
 * magnitude, by kind:
 * - failure-spike: failure probability of matching attempts inside the window (e.g. 0.3)
 * - latency-drift: latency multiplier reached at the window's end, rising linearly from 1 (e.g. 1.5)
 * - seller-silent: the seller's volume multiplier, always 0
 * - seller-burst: the seller's volume multiplier (e.g. 10)
 * - error-storm: failure probability of every attempt (e.g. 0.5)
 */
export interface Incident {
  kind: IncidentKind;
  startNs: bigint;
  endNs: bigint;
  target: IncidentTarget;
  magnitude: number;
}

export const DEFAULT_MAGNITUDE: Readonly<Record<IncidentKind, number>> = {
  'failure-spike': 0.3,
  'latency-drift': 1.5,
  'seller-silent': 0,
  'seller-burst': 10,
  'error-storm': 0.5,
};

const isKind = (s: string): s is IncidentKind => (INCIDENT_KINDS as readonly string[]).includes(s);
const COUNTRY = /^[A-Z]{2}$/;

/** What is wrong with an incident, or undefined if nothing; callers add where it came from. */
export function incidentProblem(i: Incident): string | undefined {
  if (!isKind(i.kind)) return `unknown incident kind "${i.kind}"; expected one of ${INCIDENT_KINDS.join(', ')}`;
  if (i.endNs <= i.startNs) return `${i.kind} must end after it starts (start ${i.startNs} ns, end ${i.endNs} ns)`;
  if (!Number.isFinite(i.magnitude)) return `${i.kind} magnitude must be a finite number, got ${i.magnitude}`;
  const { origin, country, sellerId } = i.target;
  if (country !== undefined && !COUNTRY.test(country)) return `country "${country}" must be an ISO 3166-1 alpha-2 code, e.g. RU`;
  if (sellerId !== undefined && sellerId <= SELLER_ID_BASE) return `seller id ${sellerId} is not a simulated seller (ids start at ${SELLER_ID_BASE + 1n})`;
  const has = { origin: origin !== undefined, country: country !== undefined, seller: sellerId !== undefined };
  const probability = (m: number) => (m > 0 && m <= 1 ? undefined : `${i.kind} magnitude is a failure probability in (0, 1], got ${m}`);
  switch (i.kind) {
    case 'failure-spike':
      if (has.seller || has.origin === has.country) return 'failure-spike targets exactly one origin or one country (origin=... or country=...)';
      return probability(i.magnitude);
    case 'latency-drift':
      if (has.seller || has.country) return 'latency-drift targets one origin (origin=...) or, with no target, every origin';
      return i.magnitude > 0 ? undefined : `latency-drift magnitude is the latency multiplier reached at the end, > 0, got ${i.magnitude}`;
    case 'seller-silent':
    case 'seller-burst':
      if (!has.seller || has.origin || has.country) return `${i.kind} targets one seller (seller=<id> or rank=<n>)`;
      if (i.kind === 'seller-silent') return i.magnitude === 0 ? undefined : `seller-silent takes no magnitude (the seller's volume becomes 0), got ${i.magnitude}`;
      return i.magnitude > 1 ? undefined : `seller-burst magnitude is the seller's volume multiplier, > 1, got ${i.magnitude}`;
    case 'error-storm':
      if (has.seller || has.origin || has.country) return 'error-storm hits every attempt and takes no target';
      return probability(i.magnitude);
  }
}

const UNIT_NS: Readonly<Record<string, number>> = { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9, d: 86_400e9 };

/** "90s", "15m", "1h30m", "0.5d" -> nanoseconds. */
export function parseDuration(text: string): bigint {
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(text)) throw new Error(`bad duration "${text}"; use a number and unit (ms, s, m, h, d), e.g. 90s, 15m, 1h30m`);
  let ns = 0;
  for (const [, value, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) ns += Number(value) * UNIT_NS[unit];
  return BigInt(Math.round(ns));
}

/** "+10m" (offset from the run start) or an ISO 8601 time with a zone, e.g. 2025-03-01T12:00:00Z. */
function parseStart(text: string, runStart: bigint): bigint {
  if (text.startsWith('+')) return runStart + parseDuration(text.slice(1));
  const date = /^(\d{4})-(\d\d)-(\d\d)T[\d:.]+(Z|[+-]\d\d:?\d\d)$/.exec(text);
  if (date === null) throw new Error(`bad start "${text}"; use an offset from the run start (+10m) or an ISO time with a zone (2025-03-01T12:00:00Z)`);
  const [, year, month, day] = date.map(Number);
  // Date.parse rolls 2025-02-31 over into March instead of refusing it.
  const calendar = new Date(Date.UTC(year, month - 1, day));
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) throw new Error(`bad start "${text}": not a real date and time`);
  return BigInt(ms) * 1_000_000n;
}

const PARAMS = ['origin', 'country', 'seller', 'rank', 'magnitude'] as const;
type Param = (typeof PARAMS)[number];
const isParam = (s: string): s is Param => (PARAMS as readonly string[]).includes(s);

/**
 * Parses a CLI incident spec: `<kind>[:key=value,...]@<start>/<duration>`, keys origin, country,
 * seller (company id), rank (seller rank, 1 = largest) and magnitude (else DEFAULT_MAGNITUDE).
 * Examples: `failure-spike:origin=xlsx-import@+10m/15m`, `seller-silent:rank=3@+30m/20m`,
 * `error-storm:magnitude=0.6@2025-03-01T12:00:00Z/5m`.
 */
export function parseIncident(spec: string, runStart: bigint): Incident {
  function fail(why: string): never {
    throw new Error(`incident "${spec}": ${why}`);
  }
  const at = spec.indexOf('@');
  if (at < 0) fail('missing "@<start>/<duration>", e.g. failure-spike:origin=xlsx-import@+10m/15m');
  const head = spec.slice(0, at);
  const when = spec.slice(at + 1);
  const colon = head.indexOf(':');
  const kind = colon < 0 ? head : head.slice(0, colon);
  if (!isKind(kind)) return fail(`unknown incident kind "${kind}"; expected one of ${INCIDENT_KINDS.join(', ')}`);

  const params = new Map<Param, string>();
  for (const pair of colon < 0 ? [] : head.slice(colon + 1).split(',')) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (!isParam(key)) fail(`unknown parameter "${key}"; expected ${PARAMS.join(', ')}`);
    if (eq < 0 || eq === pair.length - 1) fail(`parameter "${key}" needs a value, e.g. ${key}=...`);
    if (params.has(key)) fail(`parameter "${key}" given twice`);
    params.set(key, pair.slice(eq + 1));
  }

  const target: IncidentTarget = {};
  const origin = params.get('origin');
  if (origin !== undefined) target.origin = origin;
  const country = params.get('country');
  if (country !== undefined) target.country = country.toUpperCase();
  const seller = params.get('seller');
  const rank = params.get('rank');
  if (seller !== undefined && rank !== undefined) fail('give seller= or rank=, not both');
  if (seller !== undefined) {
    if (!/^\d+$/.test(seller)) fail(`seller "${seller}" must be a company id (decimal integer)`);
    target.sellerId = BigInt(seller);
  }
  if (rank !== undefined) {
    if (!/^[1-9]\d*$/.test(rank)) fail(`rank "${rank}" must be a positive integer (1 = largest seller)`);
    target.sellerId = sellerIdForRank(Number(rank));
  }
  const magnitudeText = params.get('magnitude');
  const magnitude = magnitudeText === undefined ? DEFAULT_MAGNITUDE[kind] : Number(magnitudeText);
  if (magnitudeText !== undefined && (magnitudeText.trim() === '' || Number.isNaN(magnitude))) fail(`magnitude "${magnitudeText}" must be a number`);

  const slash = when.lastIndexOf('/');
  if (slash < 0) fail(`missing "/<duration>" after the start "${when}", e.g. @+10m/15m`);
  let startNs = 0n;
  let durationNs = 0n;
  try {
    startNs = parseStart(when.slice(0, slash), runStart);
    durationNs = parseDuration(when.slice(slash + 1));
  } catch (e) {
    fail((e as Error).message);
  }
  if (durationNs <= 0n) fail(`duration "${when.slice(slash + 1)}" must be positive`);
  const incident: Incident = { kind, startNs, endNs: startNs + durationNs, target, magnitude };
  const problem = incidentProblem(incident);
  if (problem !== undefined) fail(problem);
  return incident;
}

const PLAN_STREAM = 3;

/**
 * One incident of each kind for a demo run of `durationNs` from `start`: the first fifth stays
 * clean as a baseline, then each kind gets its own slot in seeded order and fills the middle of it
 * with some jitter, so windows never overlap and each effect is attributable. Sellers are picked by
 * rank: silent among ranks 2-20 (its absence must be visible), burst among 10-50.
 */
export function planIncidents(seed: number, start: bigint, durationNs: bigint, options: { sellers?: number } = {}): Incident[] {
  const sellers = options.sellers ?? 5000;
  if (durationNs < 60_000_000_000n) throw new Error(`planIncidents needs a run of at least 1 minute, got ${durationNs} ns`);
  if (sellers < 50) throw new Error(`planIncidents targets sellers ranked up to 50, but the run has ${sellers}`);
  const rng = createRng(seed, PLAN_STREAM);
  const originPick = weightedChoice(DEFAULT_ORIGINS.map((o) => o.weight));
  const countryNames = Object.keys(DEFAULT_COUNTRIES);
  const countryPick = weightedChoice(Object.values(DEFAULT_COUNTRIES));
  const origin = () => DEFAULT_ORIGINS[originPick.sample(rng)].name;

  const silentRank = 2 + uniformInt(rng, 19);
  let burstRank = silentRank;
  while (burstRank === silentRank) burstRank = 10 + uniformInt(rng, 41);
  const targets: Record<IncidentKind, IncidentTarget> = {
    'failure-spike': rng() < 0.5 ? { origin: origin() } : { country: countryNames[countryPick.sample(rng)] },
    'latency-drift': rng() < 0.5 ? { origin: origin() } : {},
    'seller-silent': { sellerId: sellerIdForRank(silentRank) },
    'seller-burst': { sellerId: sellerIdForRank(burstRank) },
    'error-storm': {},
  };

  const order = [...INCIDENT_KINDS];
  for (let i = order.length - 1; i > 0; i--) {
    const j = uniformInt(rng, i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const lead = durationNs / 5n;
  const slot = (durationNs - lead) / BigInt(order.length);
  const length = (slot * 6n) / 10n;
  return order.map((kind, i) => {
    const startNs = start + lead + slot * BigInt(i) + BigInt(Math.floor(Number(slot - length) * rng()));
    return { kind, startNs, endNs: startNs + length, target: targets[kind], magnitude: DEFAULT_MAGNITUDE[kind] };
  });
}

/** One incident in the ground-truth file: 64-bit values as decimal strings, times also as ISO. */
export interface IncidentLabel {
  kind: IncidentKind;
  target: { origin?: string; country?: string; sellerId?: string };
  startNs: string;
  endNs: string;
  startIso: string;
  endIso: string;
  magnitude: number;
}

export interface LabelsFile {
  version: 1;
  incidents: IncidentLabel[];
}

const iso = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString();

export function labelsFile(incidents: readonly Incident[]): LabelsFile {
  return {
    version: 1,
    incidents: incidents.map((i) => ({
      kind: i.kind,
      target: {
        ...(i.target.origin !== undefined && { origin: i.target.origin }),
        ...(i.target.country !== undefined && { country: i.target.country }),
        ...(i.target.sellerId !== undefined && { sellerId: i.target.sellerId.toString() }),
      },
      startNs: i.startNs.toString(),
      endNs: i.endNs.toString(),
      startIso: iso(i.startNs),
      endIso: iso(i.endNs),
      magnitude: i.magnitude,
    })),
  };
}

/** Reads a labels file back (e.g. parsed JSON); the ns strings are authoritative, ISO is for people. */
export function incidentsFromLabels(doc: unknown): Incident[] {
  function fail(where: string, why: string): never {
    throw new Error(`labels ${where}: ${why}`);
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(doc) || doc.version !== 1 || !Array.isArray(doc.incidents)) return fail('file', 'must be {"version": 1, "incidents": [...]}');
  return doc.incidents.map((entry: unknown, n): Incident => {
    const at = `incidents[${n}]`;
    if (!isObject(entry)) return fail(at, 'must be an object');
    const { kind, target, startNs, endNs, magnitude } = entry;
    if (typeof kind !== 'string' || !isKind(kind)) return fail(`${at}.kind`, `must be one of ${INCIDENT_KINDS.join(', ')}`);
    const decimal = (v: unknown, field: string, what: string): bigint => (typeof v === 'string' && /^\d+$/.test(v) ? BigInt(v) : fail(`${at}.${field}`, `must be ${what} as a decimal string`));
    if (!isObject(target)) return fail(`${at}.target`, 'must be an object');
    const text = (v: unknown, field: string): string | undefined => (v === undefined || typeof v === 'string' ? v : fail(`${at}.target.${field}`, 'must be a string'));
    const origin = text(target.origin, 'origin');
    const country = text(target.country, 'country');
    const sellerId = target.sellerId === undefined ? undefined : decimal(target.sellerId, 'target.sellerId', 'a company id');
    if (typeof magnitude !== 'number') return fail(`${at}.magnitude`, 'must be a number');
    const incident: Incident = {
      kind,
      startNs: decimal(startNs, 'startNs', 'nanoseconds'),
      endNs: decimal(endNs, 'endNs', 'nanoseconds'),
      target: { ...(origin !== undefined && { origin }), ...(country !== undefined && { country }), ...(sellerId !== undefined && { sellerId }) },
      magnitude,
    };
    const problem = incidentProblem(incident);
    return problem === undefined ? incident : fail(at, problem);
  });
}
