import type { ObservedEvent } from './observed-event';
import { PartitionWindows } from './partition-windows';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);
const ev = (tsMs: number, over: Partial<ObservedEvent> = {}): ObservedEvent => ({ tsMs, seller: '7', origin: 'ui', country: 'RU', final: false, failed: false, latencyMs: 100, ...over });

test('a window closes once the watermark (newest time minus lateness) passes its end', () => {
  const w = new PartitionWindows(3, MIN, 10_000);
  w.add(ev(T0 + 5_000), 0n);
  w.add(ev(T0 + 30_000, { failed: true, final: true, latencyMs: undefined }), 1n);
  w.add(ev(T0 + MIN + 5_000), 2n); // watermark T0 + 55 s: still open
  expect(w.close()).toEqual([]);
  w.add(ev(T0 + MIN + 10_000), 3n); // watermark T0 + 60 s
  const [closed, ...rest] = w.close();
  expect(rest).toEqual([]);
  expect(closed.partition).toBe(3);
  expect(closed.start).toBe(T0);
  const global = closed.dims.get('global');
  expect(global).toMatchObject({ events: 2, attempts: 1, failures: 1, latencyCount: 1, latencySum: 100 });
  expect([...closed.dims.keys()].sort()).toEqual(['country=RU', 'global', 'origin=ui']);
  expect(closed.sellers.get('7')).toEqual({ attempts: 1, failures: 1 });
});

test('quiet minutes close as empty windows and a late event is counted, not charted', () => {
  const w = new PartitionWindows(0, MIN, 0);
  w.add(ev(T0), 0n);
  w.add(ev(T0 + 3 * MIN), 1n);
  expect(w.close().map((c) => [c.start - T0, c.dims.size])).toEqual([
    [0, 3],
    [MIN, 0],
    [2 * MIN, 0],
  ]);
  expect(w.add(ev(T0 + MIN + 1), 2n)).toBe(false);
  expect(w.late).toBe(1);
});

test('the commit point is the first offset of the oldest open window, and a successor resumes the same windows', () => {
  const w = new PartitionWindows(0, MIN, 0);
  w.add(ev(T0 + 1_000), 10n);
  w.add(ev(T0 + MIN + 1_000), 11n);
  w.add(ev(T0 + 2_000), 12n); // still in the first window (watermark T0 + 61 s closed it? no: lateness 0 closes at 61 s)
  w.close();
  const point = w.commitPoint(13n);
  expect(point.offset).toBe(11n);
  expect(point.position).toEqual({ closedUntil: T0 + MIN, maxTs: T0 + MIN + 1_000 });

  // The successor re-reads from offset 11: offset 12 belongs to a closed window and is skipped as late.
  const next = new PartitionWindows(0, MIN, 0, point.position);
  expect(next.add(ev(T0 + MIN + 1_000), 11n)).toBe(true);
  expect(next.add(ev(T0 + 2_000), 12n)).toBe(false);
  next.add(ev(T0 + 2 * MIN), 13n);
  expect(next.close().map((c) => [c.start, c.dims.get('global')?.events])).toEqual([[T0 + MIN, 1]]);
});

test('origins beyond the bound are charted together as origin=other', () => {
  const w = new PartitionWindows(0, MIN, 0);
  for (let i = 0; i < 40; i++) w.add(ev(T0 + i, { origin: `o${i}` }), BigInt(i));
  w.add(ev(T0 + MIN), 40n);
  const [closed] = w.close();
  const origins = [...closed.dims.keys()].filter((d) => d.startsWith('origin='));
  expect(origins).toHaveLength(33);
  expect(closed.dims.get('origin=other')?.events).toBe(8);
});
