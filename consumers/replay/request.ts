/**
 * What an operator asked a replay to do, checked before anything is read or written: a topic, a
 * range (event times or offsets), partitions, and targets. Pure: every refusal that needs no server
 * is decided here, with a message that says what is wrong and what to run instead.
 */

export const TARGETS = ['storage', 'rollups', 'anomalies'] as const;
export type Target = (typeof TARGETS)[number];
export type TopicKind = 'raw' | 'curated';

/** [from, to): event times in epoch ms (Kafka timestamps are event times), or offsets per partition. */
export type RangeSpec =
  | { by: 'time'; fromMs: number; toMs: number }
  | { by: 'offset'; from: OffsetSpec; to: OffsetSpec };

/** One offset for every partition, or one per partition (`3:1200,4:1800`). */
export type OffsetSpec = { all: bigint } | { perPartition: Map<number, bigint> };

export interface ReplayRequest {
  /** Undefined only for a rollups-only rebuild, which reads no topic. */
  topic?: string;
  kind: TopicKind;
  range: RangeSpec;
  /** Undefined: every partition of the topic. */
  partitions?: number[];
  targets: Target[];
}

/** A request the replay refuses: the message names the problem and the way out. Exit status 2. */
export class RefusalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusalError';
  }
}

export interface RawOptions {
  topic?: string;
  kind?: string;
  from?: string;
  to?: string;
  fromOffset?: string;
  toOffset?: string;
  partitions?: string;
  /** Default: every target the topic's kind allows (raw: storage,rollups,anomalies; curated: storage,rollups). */
  target?: string;
}

/** The topics this deployment knows, to tell raw from curated without --kind. */
export interface KnownTopics {
  raw: string;
  curated: string;
}

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

/** ISO time with a zone, or epoch seconds; to epoch ms. */
export function parseTime(option: string, text: string): number {
  if (/^\d{1,12}$/.test(text)) return Number(text) * 1000;
  const ms = /(Z|[+-]\d\d:?\d\d)$/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) throw new RefusalError(`${option} "${text}" is neither epoch seconds nor an ISO time with a zone, e.g. 2026-11-27T10:00:00Z`);
  return ms;
}

function parseOffsets(option: string, text: string): OffsetSpec {
  if (/^\d+$/.test(text)) return { all: BigInt(text) };
  const perPartition = new Map<number, bigint>();
  for (const part of text.split(',')) {
    const m = /^(\d+):(\d+)$/.exec(part.trim());
    if (!m) throw new RefusalError(`${option} "${text}" is neither an offset (1200) nor partition:offset pairs (3:1200,4:1800)`);
    perPartition.set(Number(m[1]), BigInt(m[2]));
  }
  return { perPartition };
}

function parsePartitions(text: string): number[] {
  const partitions = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new RefusalError(`--partitions "${text}" must list partitions and ranges, e.g. 0,3,5-7`);
    const [lo, hi] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (hi < lo) throw new RefusalError(`--partitions "${part}" runs backwards; write ${hi}-${lo}`);
    for (let p = lo; p <= hi; p++) partitions.add(p);
  }
  return [...partitions].sort((a, b) => a - b);
}

function parseTargets(text: string): Target[] {
  const targets = text.split(',').map((t) => t.trim()).filter(Boolean);
  const unknown = targets.filter((t) => !(TARGETS as readonly string[]).includes(t));
  if (unknown.length > 0 || targets.length === 0) throw new RefusalError(`--target "${text}": targets are ${TARGETS.join(', ')} (comma-separated)`);
  return TARGETS.filter((t) => targets.includes(t));
}

function kindOf(topic: string, kind: string | undefined, known: KnownTopics): TopicKind {
  if (kind === 'raw' || kind === 'curated') return kind;
  if (kind !== undefined) throw new RefusalError(`--kind "${kind}" must be raw (Avro upload events) or curated (JSONEachRow rows)`);
  if (topic === known.raw) return 'raw';
  if (topic === known.curated) return 'curated';
  throw new RefusalError(`cannot tell whether topic ${topic} holds raw (Avro) or curated (JSON) events: it is neither UPLOAD_EVENTS_TOPIC (${known.raw}) nor CURATED_TOPIC (${known.curated}); pass --kind raw or --kind curated`);
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function parseRequest(o: RawOptions, known: KnownTopics): ReplayRequest {
  const targets = parseTargets(o.target ?? (o.topic && kindOf(o.topic, o.kind, known) === 'curated' ? 'storage,rollups' : TARGETS.join(',')));
  if (targets.includes('storage') && !targets.includes('rollups')) {
    throw new RefusalError(
      '--target storage without rollups would double-count: every row inserted into upload_events also feeds the rollup views, so events already stored ' +
        'would be counted again in upload_rollup_1m/1h (the raw table collapses them by event_key, the rollups cannot). ' +
        'Use --target storage,rollups: the rollups of the months replayed are then rebuilt from the deduplicated raw table.',
    );
  }
  const readsTopic = targets.includes('storage') || targets.includes('anomalies');
  if (readsTopic && !o.topic) throw new RefusalError(`--topic is required for --target ${targets.join(',')}`);
  if (o.topic !== undefined && !TOPIC.test(o.topic)) throw new RefusalError(`--topic "${o.topic}" is not a Kafka topic name (1-249 of A-Z a-z 0-9 . _ -)`);
  const kind = o.topic ? kindOf(o.topic, o.kind, known) : 'raw';
  if (kind === 'curated' && targets.includes('anomalies')) {
    throw new RefusalError(`--target anomalies reads the raw topic, as the anomaly worker does (its charts count what curation drops or dead-letters, and anomalies are keyed by the raw topic's name); replay ${known.raw} for anomalies`);
  }

  const byTime = o.from !== undefined || o.to !== undefined;
  const byOffset = o.fromOffset !== undefined || o.toOffset !== undefined;
  if (byTime && byOffset) throw new RefusalError('give the range either as times (--from/--to) or as offsets (--from-offset/--to-offset), not both');
  let range: RangeSpec;
  if (byOffset) {
    if (o.fromOffset === undefined || o.toOffset === undefined) throw new RefusalError('an offset range needs both --from-offset and --to-offset');
    if (targets.some((t) => t !== 'storage' && t !== 'rollups')) throw new RefusalError('--target anomalies needs a time range (--from/--to): windows are event time, offsets do not say which windows to regenerate');
    if (!targets.includes('storage')) throw new RefusalError('--target rollups alone needs a time range (--from/--to): it reads no topic, so offsets cannot say which months to rebuild');
    range = { by: 'offset', from: parseOffsets('--from-offset', o.fromOffset), to: parseOffsets('--to-offset', o.toOffset) };
    if ('all' in range.from && 'all' in range.to && range.from.all > range.to.all) throw new RefusalError(`--from-offset ${range.from.all} is after --to-offset ${range.to.all}; the range is [from, to)`);
  } else {
    if (o.from === undefined || o.to === undefined) throw new RefusalError('a replay needs a range: --from and --to (event times), or --from-offset and --to-offset');
    const fromMs = parseTime('--from', o.from);
    const toMs = parseTime('--to', o.to);
    if (fromMs > toMs) throw new RefusalError(`--from ${iso(fromMs)} is after --to ${iso(toMs)}; the range is [from, to): swap them`);
    if (fromMs === toMs) throw new RefusalError(`--from and --to are both ${iso(fromMs)}: the range [from, to) is empty`);
    range = { by: 'time', fromMs, toMs };
  }
  const partitions = o.partitions ? parsePartitions(o.partitions) : undefined;
  if (partitions && targets.includes('anomalies')) {
    throw new RefusalError('--target anomalies charts every partition together (a window closes when all have reported): leave out --partitions, or replay the chosen partitions with --target storage,rollups');
  }
  return { ...(o.topic ? { topic: o.topic } : {}), kind, range, ...(partitions ? { partitions } : {}), targets };
}

/** The time range widened to whole chart windows: a window replayed in part would chart differently from live. */
export function alignToWindows(fromMs: number, toMs: number, windowMs: number): { fromMs: number; toMs: number } {
  return { fromMs: Math.floor(fromMs / windowMs) * windowMs, toMs: Math.ceil(toMs / windowMs) * windowMs };
}
