import type { Breach } from '../consumers/anomaly/breaches';
import type { Incident, IncidentKind } from '../producers/simulator/incidents';

/**
 * Scores breaches against the simulator's ground truth. Only pages count: tickets are for the
 * record. A page is explained by an incident when it falls in the incident's window (plus a grace
 * for the windows that close after it) on a chart the incident moves and a dimension it touches:
 * its target, or a mix that contains the target (global, countries, sellers). Every other page
 * episode (consecutive windows of one chart and dimension) is a false alarm.
 */

const GRACE_MS = 10 * 60_000;

const CHARTS: Record<IncidentKind, string[]> = {
  'failure-spike': ['failure_rate', 'seller_failure_rate'],
  'error-storm': ['failure_rate', 'seller_failure_rate'],
  'latency-drift': ['latency_mean', 'latency_p95', 'latency_p99', 'latency_ewma'],
  'seller-silent': ['seller_silent', 'seller_volume'],
  // A big seller's burst shifts the mix: its own failure rate and latency weigh ten times more.
  'seller-burst': ['seller_volume', 'failure_rate', 'latency_mean'],
};

/** Dimensions an incident's effect can show in. */
function touches(i: Incident, dimension: string): boolean {
  const { origin, country, sellerId } = i.target;
  if (sellerId !== undefined) return dimension === `seller=${sellerId}` || dimension === 'global' || dimension.startsWith('origin=') || dimension.startsWith('country=');
  if (origin !== undefined && dimension.startsWith('origin=')) return dimension === `origin=${origin}`;
  if (country !== undefined && dimension.startsWith('country=')) return dimension === `country=${country}`;
  return true;
}

/** The dimension a detector should page on for the incident itself. */
function detects(i: Incident, b: Breach): boolean {
  const { origin, country, sellerId } = i.target;
  const dim = sellerId !== undefined ? `seller=${sellerId}` : origin !== undefined ? `origin=${origin}` : country !== undefined ? `country=${country}` : 'global';
  const charts = i.kind === 'seller-silent' ? ['seller_silent'] : i.kind === 'failure-spike' || i.kind === 'error-storm' ? ['failure_rate'] : CHARTS[i.kind];
  return b.dimension === dim && charts.includes(b.chart);
}

const ms = (ns: bigint): number => Number(ns / 1_000_000n);

export interface IncidentScore {
  kind: IncidentKind;
  target: string;
  detected: boolean;
  /** First page on the incident's own chart and dimension, from the incident's start (event time). */
  detectionMinutes?: number;
}

export interface DetectionScore {
  incidents: IncidentScore[];
  falseAlarms: number;
  falseAlarmEpisodes: { chart: string; dimension: string; start: string }[];
  pages: number;
  tickets: number;
}

export function scoreDetection(breaches: Breach[], incidents: readonly Incident[], from: number): DetectionScore {
  const pages = breaches.filter((b) => b.severity === 'page' && b.windowStart >= from).sort((a, b) => a.windowStart - b.windowStart);
  const scores = incidents.map((i): IncidentScore => {
    const start = ms(i.startNs);
    const first = pages.find((b) => detects(i, b) && b.windowEnd > start && b.windowStart < ms(i.endNs) + GRACE_MS);
    const target = i.target.sellerId !== undefined ? `seller=${i.target.sellerId}` : i.target.origin !== undefined ? `origin=${i.target.origin}` : i.target.country !== undefined ? `country=${i.target.country}` : 'global';
    return { kind: i.kind, target, detected: first !== undefined, ...(first ? { detectionMinutes: (first.windowEnd - start) / 60_000 } : {}) };
  });
  const explained = (b: Breach) => incidents.some((i) => CHARTS[i.kind].includes(b.chart) && touches(i, b.dimension) && b.windowEnd > ms(i.startNs) && b.windowStart < ms(i.endNs) + GRACE_MS);
  const episodes: DetectionScore['falseAlarmEpisodes'] = [];
  const lastSeen = new Map<string, number>();
  for (const b of pages) {
    if (explained(b)) continue;
    const key = `${b.chart}|${b.dimension}`;
    const previous = lastSeen.get(key);
    lastSeen.set(key, b.windowEnd);
    if (previous !== undefined && b.windowStart <= previous) continue;
    episodes.push({ chart: b.chart, dimension: b.dimension, start: new Date(b.windowStart).toISOString() });
  }
  return { incidents: scores, falseAlarms: episodes.length, falseAlarmEpisodes: episodes, pages: pages.length, tickets: breaches.filter((b) => b.severity === 'ticket' && b.windowStart >= from).length };
}
