import { alignToWindows, parseRequest, RefusalError, type RawOptions } from './request';

/** What a replay accepts, and what it refuses before touching a server. */

const known = { raw: 'seller.upload-events.v1', curated: 'seller.upload-events.curated.v1' };
const base: RawOptions = { topic: known.raw, from: '2026-11-20T10:00:00Z', to: '2026-11-20T12:00:00Z' };
const refusal = (o: RawOptions): string => {
  try {
    parseRequest(o, known);
  } catch (err) {
    expect(err).toBeInstanceOf(RefusalError);
    return (err as Error).message;
  }
  throw new Error('not refused');
};

test('a raw topic replays into every target by default, a curated one into storage and rollups', () => {
  expect(parseRequest(base, known)).toEqual({ topic: known.raw, kind: 'raw', range: { by: 'time', fromMs: Date.parse(base.from!), toMs: Date.parse(base.to!) }, targets: ['storage', 'rollups', 'anomalies'] });
  expect(parseRequest({ ...base, topic: known.curated }, known).targets).toEqual(['storage', 'rollups']);
  expect(parseRequest({ ...base, topic: 'other.topic', kind: 'curated' }, known).kind).toBe('curated');
});

test('times are ISO with a zone or epoch seconds; offsets one for all or per partition; partitions as lists and ranges', () => {
  expect(parseRequest({ ...base, from: '1795777200', to: '1795780800' }, known).range).toEqual({ by: 'time', fromMs: 1795777200000, toMs: 1795780800000 });
  const r = parseRequest({ topic: known.raw, fromOffset: '0:10,3:20', toOffset: '500', partitions: '0,3-4', target: 'storage,rollups' }, known);
  expect(r.range).toEqual({ by: 'offset', from: { perPartition: new Map([[0, 10n], [3, 20n]]) }, to: { all: 500n } });
  expect(r.partitions).toEqual([0, 3, 4]);
  expect(parseRequest({ from: base.from, to: base.to, target: 'rollups' }, known)).toMatchObject({ targets: ['rollups'] });
});

test('from after to, an empty range and unreadable values are refused with the fix', () => {
  expect(refusal({ ...base, from: base.to, to: base.from })).toMatch(/^--from 2026-11-20T12:00:00.000Z is after --to 2026-11-20T10:00:00.000Z; the range is \[from, to\): swap them/);
  expect(refusal({ ...base, to: base.from })).toMatch(/the range \[from, to\) is empty/);
  expect(refusal({ ...base, from: '2026-11-20 10:00' })).toMatch(/neither epoch seconds nor an ISO time with a zone/);
  expect(refusal({ ...base, target: 'storage,rollups,curated' })).toMatch(/targets are storage, rollups, anomalies/);
  expect(refusal({ ...base, partitions: '5-2' })).toMatch(/runs backwards; write 2-5/);
  expect(refusal({ topic: known.raw, fromOffset: '9', toOffset: '3', target: 'storage,rollups' })).toMatch(/--from-offset 9 is after --to-offset 3/);
  expect(refusal({ ...base, fromOffset: '0' })).toMatch(/either as times .* or as offsets/);
  expect(refusal({ topic: known.raw, target: 'storage,rollups' })).toMatch(/needs a range/);
});

test('targets that would double-count or cannot be done are refused', () => {
  expect(refusal({ ...base, target: 'storage' })).toMatch(/without rollups would double-count.*Use --target storage,rollups/);
  expect(refusal({ ...base, topic: known.curated, target: 'anomalies' })).toMatch(/reads the raw topic.*replay seller\.upload-events\.v1 for anomalies/);
  expect(refusal({ ...base, partitions: '1' })).toMatch(/charts every partition together/);
  expect(refusal({ topic: known.raw, fromOffset: '0', toOffset: '9', target: 'storage,rollups,anomalies' })).toMatch(/anomalies needs a time range/);
  expect(refusal({ ...base, topic: 'mystery' })).toMatch(/cannot tell whether topic mystery holds raw .* pass --kind raw or --kind curated/);
  expect(refusal({ ...base, topic: undefined })).toMatch(/--topic is required/);
});

test('anomaly replays widen the range to whole chart windows', () => {
  expect(alignToWindows(90_000, 150_001, 60_000)).toEqual({ fromMs: 60_000, toMs: 180_000 });
  expect(alignToWindows(60_000, 120_000, 60_000)).toEqual({ fromMs: 60_000, toMs: 120_000 });
});
