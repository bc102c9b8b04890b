import { DDSketch } from '@datadog/sketches-js';

/**
 * What one event-time window holds for one dimension (global, an origin, a country). Every part
 * merges exactly across partitions: counts and moments add, and the DDSketch of latencies merges
 * with its relative-accuracy guarantee (1%), so the leader's p95 of a window does not depend on how
 * the partitions were spread over instances.
 */

export const SKETCH_RELATIVE_ACCURACY = 0.01;

export interface WindowStats {
  events: number;
  /** Attempts that ended (SAVE or ERROR): the n of the failure rate. */
  attempts: number;
  failures: number;
  /** Latency moments (ms) of creating events, the only ones that measure upload latency. */
  latencyCount: number;
  latencySum: number;
  latencySumSq: number;
  sketch: DDSketch;
}

export const emptyStats = (): WindowStats => ({ events: 0, attempts: 0, failures: 0, latencyCount: 0, latencySum: 0, latencySumSq: 0, sketch: new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY }) });

export function addToStats(s: WindowStats, final: boolean, failed: boolean, latencyMs: number | undefined): void {
  s.events += 1;
  if (final) s.attempts += 1;
  if (failed) s.failures += 1;
  if (latencyMs === undefined) return;
  s.latencyCount += 1;
  s.latencySum += latencyMs;
  s.latencySumSq += latencyMs * latencyMs;
  // The sketch stores positive values; a zero latency (clock granularity) counts as zero.
  s.sketch.accept(Math.max(latencyMs, 0));
}

export function mergeStats(into: WindowStats, from: WindowStats): void {
  into.events += from.events;
  into.attempts += from.attempts;
  into.failures += from.failures;
  into.latencyCount += from.latencyCount;
  into.latencySum += from.latencySum;
  into.latencySumSq += from.latencySumSq;
  if (from.sketch.count > 0) into.sketch.merge(from.sketch);
}

export const latencyQuantile = (s: WindowStats, q: number): number | undefined => (s.sketch.count > 0 ? s.sketch.getValueAtQuantile(q) : undefined);

/** JSON form for the partials topic: the sketch travels as its protobuf bytes, base64. */
export interface EncodedStats {
  e: number;
  a: number;
  f: number;
  lc: number;
  ls: number;
  lq: number;
  sk?: string;
}

export const encodeStats = (s: WindowStats): EncodedStats => ({
  e: s.events,
  a: s.attempts,
  f: s.failures,
  lc: s.latencyCount,
  ls: s.latencySum,
  lq: s.latencySumSq,
  ...(s.sketch.count > 0 ? { sk: Buffer.from(s.sketch.toProto()).toString('base64') } : {}),
});

export function decodeStats(e: EncodedStats): WindowStats {
  const sketch = e.sk === undefined ? emptyStats().sketch : DDSketch.fromProto(Buffer.from(e.sk, 'base64'));
  return { events: e.e, attempts: e.a, failures: e.f, latencyCount: e.lc, latencySum: e.ls, latencySumSq: e.lq, sketch };
}
