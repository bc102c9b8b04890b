import { RefusalError, type OffsetSpec, type ReplayRequest } from './request';

/**
 * Range resolution: a request's times or offsets become an offset range [start, end) per
 * partition, checked against what the topic still holds. Pure: the offsets come from the broker
 * (topic-lookup.ts). Kafka timestamps are event times, so a time is found with the broker's
 * timestamp index: the first offset whose timestamp is at or after it.
 */

export interface PartitionOffsets {
  partition: number;
  /** First offset still in the log (older ones were deleted by retention), and the high watermark. */
  low: bigint;
  high: bigint;
  /** First offset with a timestamp >= from / >= to (the high watermark when there is none). */
  atFrom?: bigint;
  atTo?: bigint;
  /** Timestamp of the first message still in the log; looked up only where retention matters. */
  firstTimestampMs?: number;
}

export interface TopicOffsets {
  topic: string;
  /** Every partition of the topic. */
  partitions: PartitionOffsets[];
  /** The topic's retention.ms (-1 or undefined: unlimited). */
  retentionMs?: number;
  /** When the offsets were looked up (epoch ms). */
  nowMs: number;
}

export interface PartitionRange {
  partition: number;
  /** First offset to read, and the first one not to read. */
  start: bigint;
  end: bigint;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The partitions a request reads: those asked for, each checked to exist. */
export function selectedPartitions(request: Pick<ReplayRequest, 'partitions'>, offsets: TopicOffsets): PartitionOffsets[] {
  const all = offsets.partitions;
  if (!request.partitions) return all;
  const missing = request.partitions.filter((p) => !all.some((o) => o.partition === p));
  if (missing.length > 0) throw new RefusalError(`topic ${offsets.topic} has ${all.length} partitions (0-${all.length - 1}); there is no partition ${missing.join(', ')}`);
  return all.filter((o) => request.partitions!.includes(o.partition));
}

/**
 * Whether the log start of a partition may have cut into a range starting at `fromMs`: only if
 * retention deleted something (low > 0) and the first offset at or after `fromMs` is the first
 * offset still there (nothing older than `fromMs` is left to prove the start was kept).
 */
export const needsFirstTimestamp = (p: PartitionOffsets): boolean => p.low > 0n && p.atFrom !== undefined && p.atFrom <= p.low && p.low < p.high;

/** Event time from which the partition is known to be complete, or -Infinity when nothing was ever deleted. */
function availableFrom(p: PartitionOffsets, offsets: TopicOffsets): number {
  if (p.low === 0n || (p.atFrom !== undefined && p.atFrom > p.low)) return Number.NEGATIVE_INFINITY;
  if (p.low < p.high) {
    if (p.firstTimestampMs === undefined) throw new Error(`the first timestamp of ${offsets.topic}[${p.partition}] was not looked up`);
    return p.firstTimestampMs;
  }
  // Emptied by retention: everything it had was older than the retention horizon.
  return offsets.retentionMs !== undefined && offsets.retentionMs >= 0 ? offsets.nowMs - offsets.retentionMs : Number.POSITIVE_INFINITY;
}

function byTime(fromMs: number, partitions: PartitionOffsets[], offsets: TopicOffsets): PartitionRange[] {
  const cut = partitions.map((p) => ({ p, from: availableFrom(p, offsets) })).filter(({ from }) => fromMs < from);
  if (cut.length > 0) {
    const earliest = Math.max(...cut.map((c) => c.from));
    const retention = offsets.retentionMs !== undefined && offsets.retentionMs >= 0 ? ` (retention.ms ${offsets.retentionMs}, ${(offsets.retentionMs / 3_600_000).toFixed(0)} h)` : '';
    const detail = cut.map(({ p, from }) => `${p.partition}: ${Number.isFinite(from) ? `from ${iso(from)}` : 'nothing'}`).join(', ');
    throw new RefusalError(
      `the range starts at ${iso(fromMs)}, beyond the retention of topic ${offsets.topic}${retention}: older events were deleted from partitions ${cut.map((c) => c.p.partition).join(', ')}. ` +
        `Still available: ${Number.isFinite(earliest) ? `events from ${iso(earliest)} on` : 'nothing older than now'} (per partition: ${detail}). ` +
        `Replay from ${Number.isFinite(earliest) ? iso(earliest) : 'a later time'}; older events can only be restored from elsewhere.`,
    );
  }
  return partitions.map((p) => {
    if (p.atFrom === undefined || p.atTo === undefined) throw new Error(`offsets by timestamp of ${offsets.topic}[${p.partition}] were not looked up`);
    const start = p.atFrom;
    return { partition: p.partition, start, end: p.atTo < start ? start : p.atTo };
  });
}

function offsetFor(spec: OffsetSpec, partition: number, option: string): bigint {
  if ('all' in spec) return spec.all;
  const offset = spec.perPartition.get(partition);
  if (offset === undefined) throw new RefusalError(`${option} names no offset for partition ${partition}; give one per partition read (p:offset) or one for all`);
  return offset;
}

function byOffset(from: OffsetSpec, to: OffsetSpec, partitions: PartitionOffsets[], topic: string): PartitionRange[] {
  return partitions.map((p) => {
    const start = offsetFor(from, p.partition, '--from-offset');
    const end = offsetFor(to, p.partition, '--to-offset');
    const where = `${topic}[${p.partition}]`;
    if (start > end) throw new RefusalError(`--from-offset ${start} is after --to-offset ${end} for ${where}; the range is [from, to)`);
    if (start < p.low) throw new RefusalError(`offsets of ${where} below ${p.low} were deleted by retention; still available: offsets ${p.low} to ${p.high}. Replay from offset ${p.low} or later`);
    if (end > p.high) throw new RefusalError(`--to-offset ${end} is past the end of ${where} (next offset ${p.high}); still available: offsets ${p.low} to ${p.high}`);
    return { partition: p.partition, start, end };
  });
}

/** Offset ranges per partition for the request, or a RefusalError saying what the topic still holds. */
export function resolveRange(request: ReplayRequest, offsets: TopicOffsets): PartitionRange[] {
  const partitions = selectedPartitions(request, offsets);
  const r = request.range;
  return r.by === 'time' ? byTime(r.fromMs, partitions, offsets) : byOffset(r.from, r.to, partitions, offsets.topic);
}

export const rangeSize = (ranges: PartitionRange[]): number => ranges.reduce((n, r) => n + Number(r.end - r.start), 0);
