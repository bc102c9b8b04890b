import type { UploadEvent } from '../../schemas/upload-event';
import { type Incident, INCIDENT_KINDS, incidentProblem, incidentsFromLabels, labelsFile, parseDuration, parseIncident, planIncidents } from './incidents';
import { createTraffic } from './model';
import { sellerIdForRank } from './sellers';
import { attemptProblems, eventProblems } from './testing';

const START = 1_740_830_400_000_000_000n; // 2025-03-01T12:00:00Z
const S = 1_000_000_000n;
const MIN = 60n * S;

describe('spec parser', () => {
  test('offset starts, targets and default magnitudes', () => {
    expect(parseIncident('failure-spike:origin=xlsx-import@+10m/15m', START)).toEqual({
      kind: 'failure-spike',
      startNs: START + 10n * MIN,
      endNs: START + 25n * MIN,
      target: { origin: 'xlsx-import' },
      magnitude: 0.3,
    });
    expect(parseIncident('seller-silent:rank=3@+30m/20m', START)).toEqual({
      kind: 'seller-silent',
      startNs: START + 30n * MIN,
      endNs: START + 50n * MIN,
      target: { sellerId: 9_007_199_254_740_003n },
      magnitude: 0,
    });
    expect(parseIncident('seller-burst:seller=9007199254741234,magnitude=20@+0s/90s', START)).toMatchObject({ target: { sellerId: 9_007_199_254_741_234n }, magnitude: 20, endNs: START + 90n * S });
    expect(parseIncident('latency-drift@+1h30m/0.5h', START)).toMatchObject({ target: {}, magnitude: 1.5, startNs: START + 90n * MIN, endNs: START + 120n * MIN });
    expect(parseIncident('failure-spike:country=kz@+1m/1m', START).target).toEqual({ country: 'KZ' });
  });

  test('ISO starts with a zone', () => {
    expect(parseIncident('error-storm:magnitude=0.6@2025-03-01T13:00:00Z/5m', 0n)).toEqual({
      kind: 'error-storm',
      startNs: START + 60n * MIN,
      endNs: START + 65n * MIN,
      target: {},
      magnitude: 0.6,
    });
    expect(parseIncident('error-storm@2025-03-01T15:00:00+03:00/5m', 0n).startNs).toBe(START);
  });

  test.each([
    ['foo@+1m/1m', /^incident "foo@\+1m\/1m": unknown incident kind "foo"; expected one of failure-spike, latency-drift, seller-silent, seller-burst, error-storm$/],
    ['failure-spike:origin=ui', /missing "@<start>\/<duration>"/],
    ['failure-spike:origin=ui@+1m', /missing "\/<duration>" after the start "\+1m"/],
    ['failure-spike:colour=red@+1m/1m', /unknown parameter "colour"; expected origin, country, seller, rank, magnitude/],
    ['failure-spike:origin@+1m/1m', /parameter "origin" needs a value/],
    ['failure-spike:origin=ui,origin=ui@+1m/1m', /parameter "origin" given twice/],
    ['failure-spike@+1m/1m', /failure-spike targets exactly one origin or one country/],
    ['failure-spike:origin=ui,country=RU@+1m/1m', /failure-spike targets exactly one origin or one country/],
    ['failure-spike:origin=ui,magnitude=1.5@+1m/1m', /magnitude is a failure probability in \(0, 1\], got 1.5/],
    ['failure-spike:origin=ui,magnitude=abc@+1m/1m', /magnitude "abc" must be a number/],
    ['failure-spike:country=Russia@+1m/1m', /country "RUSSIA" must be an ISO 3166-1 alpha-2 code/],
    ['seller-burst:rank=0@+1m/1m', /rank "0" must be a positive integer/],
    ['seller-burst:rank=5,magnitude=0.5@+1m/1m', /seller-burst magnitude is the seller's volume multiplier, > 1, got 0.5/],
    ['seller-burst:rank=5,seller=9007199254740005@+1m/1m', /give seller= or rank=, not both/],
    ['seller-silent:origin=ui@+1m/1m', /seller-silent targets one seller \(seller=<id> or rank=<n>\)/],
    ['seller-silent:rank=2,magnitude=3@+1m/1m', /seller-silent takes no magnitude/],
    ['error-storm:origin=ui@+1m/1m', /error-storm hits every attempt and takes no target/],
    ['latency-drift:country=RU@+1m/1m', /latency-drift targets one origin/],
    ['failure-spike:origin=ui@+1m/15x', /bad duration "15x"; use a number and unit/],
    ['failure-spike:origin=ui@+1m/0s', /duration "0s" must be positive/],
    ['failure-spike:origin=ui@2025-03-01T12:00:00/5m', /bad start "2025-03-01T12:00:00"; use an offset .* or an ISO time with a zone/],
    ['failure-spike:origin=ui@2025-02-31T12:00:00Z/5m', /not a real date/],
  ])('%s is refused', (spec, message) => {
    expect(() => parseIncident(spec, START)).toThrow(message);
  });

  test('durations', () => {
    expect(parseDuration('1h30m')).toBe(90n * MIN);
    expect(parseDuration('250ms')).toBe(250_000_000n);
    expect(parseDuration('2d')).toBe(2n * 86_400n * S);
  });
});

describe('planned incidents', () => {
  const DURATION = 4n * 3600n * S;
  const plan = planIncidents(17, START, DURATION);

  test('one of each kind, valid, inside the run after a clean first fifth, never overlapping', () => {
    expect(plan.map((i) => i.kind).sort()).toEqual([...INCIDENT_KINDS].sort());
    for (const i of plan) {
      expect(incidentProblem(i)).toBeUndefined();
      expect(i.startNs).toBeGreaterThanOrEqual(START + DURATION / 5n);
      expect(i.endNs).toBeLessThanOrEqual(START + DURATION);
    }
    const sorted = [...plan].sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
    sorted.slice(1).forEach((i, n) => expect(i.startNs).toBeGreaterThanOrEqual(sorted[n].endNs));
    expect(() => createTraffic({ seed: 17, start: START, incidents: plan })).not.toThrow();
  });

  test('deterministic per seed', () => {
    expect(planIncidents(17, START, DURATION)).toEqual(plan);
    expect(planIncidents(18, START, DURATION)).not.toEqual(plan);
  });

  test('refuses runs it cannot fit', () => {
    expect(() => planIncidents(1, START, 30n * S)).toThrow(/at least 1 minute/);
    expect(() => planIncidents(1, START, DURATION, { sellers: 10 })).toThrow(/ranked up to 50, but the run has 10/);
  });
});

describe('labels file', () => {
  const plan = planIncidents(5, START, 2n * 3600n * S);

  test('round-trips through JSON', () => {
    const json = JSON.stringify(labelsFile(plan));
    expect(incidentsFromLabels(JSON.parse(json))).toEqual(plan);
  });

  test('lists 64-bit values as decimal strings and times also as ISO', () => {
    const silent = plan.find((i) => i.kind === 'seller-silent');
    const label = labelsFile(plan).incidents.find((l) => l.kind === 'seller-silent');
    expect(silent).toBeDefined();
    expect(label).toEqual({
      kind: 'seller-silent',
      target: { sellerId: silent?.target.sellerId?.toString() },
      startNs: silent?.startNs.toString(),
      endNs: silent?.endNs.toString(),
      startIso: new Date(Number((silent?.startNs ?? 0n) / 1_000_000n)).toISOString(),
      endIso: new Date(Number((silent?.endNs ?? 0n) / 1_000_000n)).toISOString(),
      magnitude: 0,
    });
  });

  test('bad documents are refused with where and why', () => {
    const doc = JSON.parse(JSON.stringify(labelsFile(plan)));
    expect(() => incidentsFromLabels({ incidents: [] })).toThrow(/labels file: must be \{"version": 1/);
    doc.incidents[1].startNs = 12.5;
    expect(() => incidentsFromLabels(doc)).toThrow(/labels incidents\[1\]\.startNs: must be nanoseconds as a decimal string/);
    doc.incidents[1].startNs = doc.incidents[1].endNs;
    expect(() => incidentsFromLabels(doc)).toThrow(/labels incidents\[1\]: .* must end after it starts/);
  });
});

test('incidents naming what the model does not simulate are refused', () => {
  const at = (spec: string): Incident => parseIncident(spec, START);
  expect(() => createTraffic({ seed: 1, start: START, incidents: [at('failure-spike:origin=fax@+1m/1m')] })).toThrow(
    /incidents\[0\] \(failure-spike\): origin "fax" is not simulated; expected one of seller-api, xlsx-import, ui/,
  );
  expect(() => createTraffic({ seed: 1, start: START, incidents: [at('failure-spike:country=US@+1m/1m')] })).toThrow(/country "US" is not simulated/);
  expect(() => createTraffic({ seed: 1, start: START, sellers: 100, incidents: [at('seller-burst:rank=101@+1m/1m')] })).toThrow(
    /seller 9007199254740101 is not simulated; ids run from 9007199254740001 \(rank 1\) to 9007199254740100 \(rank 100\)/,
  );
});

describe('each incident changes the stream inside its window and not outside', () => {
  const incidents = [
    'failure-spike:origin=xlsx-import@+20m/15m',
    'failure-spike:country=KZ@+40m/15m',
    'latency-drift:origin=seller-api@+60m/15m',
    'seller-silent:rank=3@+80m/15m',
    'seller-burst:rank=20@+100m/15m',
    'error-storm@+120m/15m',
  ].map((spec) => parseIncident(spec, START));
  const [originSpike, countrySpike, drift, silent, burst, storm] = incidents;
  let events: UploadEvent[] = [];
  beforeAll(() => {
    events = createTraffic({ seed: 23, start: START, rate: 40, incidents }).takeUntil(START + 150n * MIN);
  });

  const inside = (i: Incident) => (e: UploadEvent) => e.ts >= i.startNs && e.ts < i.endNs;
  const clean = (e: UploadEvent) => !incidents.some((i) => inside(i)(e));
  const failureShare = (list: UploadEvent[]) => {
    const finals = list.filter((e) => e.event !== 'UPDATE');
    expect(finals.length).toBeGreaterThan(300);
    return finals.filter((e) => e.event === 'ERROR').length / finals.length;
  };
  const latencyMedian = (list: UploadEvent[]) => {
    const ms = list.filter((e) => e.is_created).map((e) => Number(e.ts - e.up_ts) / 1e6);
    expect(ms.length).toBeGreaterThan(300);
    return ms.sort((a, b) => a - b)[ms.length >> 1];
  };

  test('the stream stays valid and ordered', () => {
    expect(events.length).toBeGreaterThan(300_000);
    expect(events.findIndex((e, i) => i > 0 && e.ts < events[i - 1].ts)).toBe(-1);
    expect(events.flatMap(eventProblems).slice(0, 5)).toEqual([]);
    expect(attemptProblems(events).slice(0, 5)).toEqual([]);
  });

  test('failure-spike on an origin: that origin fails >5x more inside, others do not', () => {
    const xlsx = (e: UploadEvent) => e.origin === 'xlsx-import';
    const insideShare = failureShare(events.filter((e) => inside(originSpike)(e) && xlsx(e)));
    const outsideShare = failureShare(events.filter((e) => clean(e) && xlsx(e)));
    expect(insideShare).toBeGreaterThan(0.25);
    expect(insideShare / outsideShare).toBeGreaterThan(5);
    const others = failureShare(events.filter((e) => inside(originSpike)(e) && !xlsx(e)));
    expect(others / failureShare(events.filter((e) => clean(e) && !xlsx(e)))).toBeLessThan(2);
  });

  test('failure-spike on a country: that country fails >5x more inside', () => {
    const kz = (e: UploadEvent) => e.country === 'KZ';
    const insideShare = failureShare(events.filter((e) => inside(countrySpike)(e) && kz(e)));
    expect(insideShare / failureShare(events.filter((e) => clean(e) && kz(e)))).toBeGreaterThan(5);
    const others = failureShare(events.filter((e) => inside(countrySpike)(e) && !kz(e)));
    expect(others).toBeLessThan(0.04);
  });

  test('latency-drift: the origin\'s latency median climbs through the window, others stay', () => {
    const api = (e: UploadEvent) => e.origin === 'seller-api';
    const half = drift.startNs + (drift.endNs - drift.startNs) / 2n;
    const baseline = latencyMedian(events.filter((e) => clean(e) && api(e)));
    expect(baseline / 800).toBeGreaterThan(0.93);
    expect(baseline / 800).toBeLessThan(1.07);
    const late = latencyMedian(events.filter((e) => api(e) && e.ts >= half && e.ts < drift.endNs));
    expect(late / baseline).toBeGreaterThan(1.25); // the multiplier runs 1.25 -> 1.5 over the second half
    expect(late / baseline).toBeLessThan(1.5);
    const early = latencyMedian(events.filter((e) => api(e) && e.ts >= drift.startNs && e.ts < half));
    expect(early / baseline).toBeLessThan(late / baseline);
    const xlsx = (e: UploadEvent) => e.origin === 'xlsx-import';
    const xlsxRatio = latencyMedian(events.filter((e) => inside(drift)(e) && xlsx(e))) / latencyMedian(events.filter((e) => clean(e) && xlsx(e)));
    expect(xlsxRatio).toBeGreaterThan(0.9);
    expect(xlsxRatio).toBeLessThan(1.1);
  });

  test('seller-silent: no events inside, events before and after', () => {
    const id = sellerIdForRank(3);
    const seller = events.filter((e) => e.data.company_id === id);
    expect(seller.filter(inside(silent))).toHaveLength(0);
    expect(seller.filter((e) => e.ts < silent.startNs).length).toBeGreaterThan(1_000);
    expect(seller.filter((e) => e.ts >= silent.endNs).length).toBeGreaterThan(1_000);
  });

  test('seller-burst: the seller\'s share of events rises >5x inside only', () => {
    const id = sellerIdForRank(20);
    const share = (list: UploadEvent[]) => list.filter((e) => e.data.company_id === id).length / list.length;
    const outside = share(events.filter(clean));
    expect(outside).toBeGreaterThan(0.003);
    expect(share(events.filter(inside(burst))) / outside).toBeGreaterThan(5);
  });

  test('error-storm: half of all attempts fail inside, 2% outside', () => {
    expect(failureShare(events.filter(inside(storm)))).toBeCloseTo(0.5, 1);
    expect(failureShare(events.filter(clean))).toBeCloseTo(0.02, 2);
  });
});
