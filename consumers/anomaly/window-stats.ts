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

/**
 * The sketch as it travels on the partials topic: its non-empty run of bins. The mapping is not
 * sent (every sketch here has the same relative accuracy) and latencies are never negative, so
 * the positive bins and the zero count are the whole sketch. Not the library's protobuf form: its
 * toProto and fromProto require() their codec on every call, which cost the worker a twentieth of
 * its time on replayed history.
 */
export interface EncodedSketch {
  /** Key of the first bin. */
  k: number;
  /** Counts of consecutive keys from `k`. */
  b: number[];
  z: number;
}

/** JSON form for the partials topic. */
export interface EncodedStats {
  e: number;
  a: number;
  f: number;
  lc: number;
  ls: number;
  lq: number;
  /** A string: the library's protobuf in base64, as written by releases before 2026-11-29. */
  sk?: EncodedSketch | string;
}

function encodeSketch(sketch: DDSketch): EncodedSketch {
  const { bins, offset } = sketch.store;
  let first = 0;
  let end = bins.length;
  while (first < end && bins[first] === 0) first += 1;
  while (end > first && bins[end - 1] === 0) end -= 1;
  return { k: offset + first, b: bins.slice(first, end), z: sketch.zeroCount };
}

function decodeSketch(e: EncodedSketch): DDSketch {
  const sketch = emptyStats().sketch;
  // The last key first, so the store grows once rather than chunk by chunk.
  for (let i = e.b.length - 1; i >= 0; i -= 1) if (e.b[i] > 0) sketch.store.add(e.k + i, e.b[i]);
  sketch.zeroCount = e.z;
  sketch.count = sketch.store.count + e.z;
  return sketch;
}

export const encodeStats = (s: WindowStats): EncodedStats => ({
  e: s.events,
  a: s.attempts,
  f: s.failures,
  lc: s.latencyCount,
  ls: s.latencySum,
  lq: s.latencySumSq,
  ...(s.sketch.count > 0 ? { sk: encodeSketch(s.sketch) } : {}),
});

export function decodeStats(e: EncodedStats): WindowStats {
  // A partial left on the topic by an older release still decodes, so an upgrade does not stall the leader on it.
  const sketch = e.sk === undefined ? emptyStats().sketch : typeof e.sk === 'string' ? DDSketch.fromProto(Buffer.from(e.sk, 'base64')) : decodeSketch(e.sk);
  return { events: e.e, attempts: e.a, failures: e.f, latencyCount: e.lc, latencySum: e.ls, latencySumSq: e.lq, sketch };
}
