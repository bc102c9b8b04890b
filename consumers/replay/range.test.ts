import { needsFirstTimestamp, rangeSize, resolveRange, type PartitionOffsets, type TopicOffsets } from './range';
import { RefusalError, type ReplayRequest } from './request';

/** Offsets per partition from times or offsets, and the retention check. */

const HOUR = 3_600_000;
const NOW = Date.parse('2026-11-27T12:00:00Z');
const timeRequest = (fromMs: number, toMs: number, partitions?: number[]): ReplayRequest => ({ topic: 't', kind: 'raw', range: { by: 'time', fromMs, toMs }, targets: ['storage', 'rollups'], ...(partitions ? { partitions } : {}) });
const topic = (partitions: PartitionOffsets[]): TopicOffsets => ({ topic: 't', partitions, retentionMs: 168 * HOUR, nowMs: NOW });
const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(RefusalError);
    return (err as Error).message;
  }
  throw new Error('not refused');
};

test('a time range reads from the first offset at or after from to the first at or after to, per partition', () => {
  const offsets = topic([
    { partition: 0, low: 0n, high: 100n, atFrom: 10n, atTo: 60n },
    { partition: 1, low: 0n, high: 80n, atFrom: 80n, atTo: 80n },
  ]);
  const ranges = resolveRange(timeRequest(NOW - 2 * HOUR, NOW - HOUR), offsets);
  expect(ranges).toEqual([
    { partition: 0, start: 10n, end: 60n },
    { partition: 1, start: 80n, end: 80n },
  ]);
  expect(rangeSize(ranges)).toBe(50);
  expect(resolveRange(timeRequest(NOW - 2 * HOUR, NOW - HOUR, [1]), offsets)).toEqual([{ partition: 1, start: 80n, end: 80n }]);
  expect(refusal(() => resolveRange(timeRequest(NOW - 2 * HOUR, NOW - HOUR, [2]), offsets))).toMatch(/has 2 partitions \(0-1\); there is no partition 2/);
});

test('retention: a range is kept when nothing was deleted, or when an older event than its start is still there', () => {
  const untouched: PartitionOffsets = { partition: 0, low: 0n, high: 100n, atFrom: 0n, atTo: 50n };
  const olderKept: PartitionOffsets = { partition: 1, low: 40n, high: 100n, atFrom: 45n, atTo: 90n };
  expect(needsFirstTimestamp(untouched)).toBe(false);
  expect(needsFirstTimestamp(olderKept)).toBe(false);
  expect(resolveRange(timeRequest(NOW - 100 * HOUR, NOW), topic([untouched, olderKept]))).toHaveLength(2);
});

test('retention: a range starting before the first event still in a trimmed partition is refused, saying what is available', () => {
  const firstKept = NOW - 48 * HOUR;
  const trimmed: PartitionOffsets = { partition: 3, low: 500n, high: 900n, atFrom: 500n, atTo: 900n, firstTimestampMs: firstKept };
  expect(needsFirstTimestamp(trimmed)).toBe(true);
  const message = refusal(() => resolveRange(timeRequest(NOW - 72 * HOUR, NOW), topic([{ partition: 0, low: 0n, high: 10n, atFrom: 0n, atTo: 10n }, trimmed])));
  expect(message).toMatch(/^the range starts at 2026-11-24T12:00:00.000Z, beyond the retention of topic t \(retention.ms 604800000, 168 h\): older events were deleted from partitions 3\./);
  expect(message).toMatch(/Still available: events from 2026-11-25T12:00:00.000Z on \(per partition: 3: from 2026-11-25T12:00:00.000Z\)\. Replay from 2026-11-25T12:00:00.000Z/);
  // From that time on, the same partition is fine.
  expect(resolveRange(timeRequest(firstKept, NOW), topic([trimmed]))).toEqual([{ partition: 3, start: 500n, end: 900n }]);
});

test('retention: a partition emptied by retention holds nothing older than the retention horizon', () => {
  const emptied: PartitionOffsets = { partition: 0, low: 70n, high: 70n, atFrom: 70n, atTo: 70n };
  expect(refusal(() => resolveRange(timeRequest(NOW - 200 * HOUR, NOW), topic([emptied])))).toMatch(/Still available: events from 2026-11-20T12:00:00.000Z on/);
  expect(resolveRange(timeRequest(NOW - 100 * HOUR, NOW), topic([emptied]))).toEqual([{ partition: 0, start: 70n, end: 70n }]);
});

test('offset ranges are checked against the log start and end of each partition', () => {
  const offsets = topic([
    { partition: 0, low: 100n, high: 500n },
    { partition: 1, low: 0n, high: 300n },
  ]);
  const byOffset = (from: string, to: string): ReplayRequest => ({ topic: 't', kind: 'raw', targets: ['storage', 'rollups'], range: { by: 'offset', from: /:/.test(from) ? { perPartition: new Map(from.split(',').map((p) => p.split(':').map(Number) as [number, number]).map(([k, v]) => [k, BigInt(v)])) } : { all: BigInt(from) }, to: { all: BigInt(to) } } });
  expect(resolveRange(byOffset('0:150,1:0', '300'), offsets)).toEqual([
    { partition: 0, start: 150n, end: 300n },
    { partition: 1, start: 0n, end: 300n },
  ]);
  expect(refusal(() => resolveRange(byOffset('50', '300'), offsets))).toMatch(/offsets of t\[0\] below 100 were deleted by retention; still available: offsets 100 to 500\. Replay from offset 100 or later/);
  expect(refusal(() => resolveRange(byOffset('100', '400'), offsets))).toMatch(/--to-offset 400 is past the end of t\[1\] \(next offset 300\)/);
  expect(refusal(() => resolveRange(byOffset('0:150', '300'), offsets))).toMatch(/names no offset for partition 1/);
});
