import { EWMA_DEFAULTS } from './charts';
import { GlobalMonitor } from './global-monitor';
import type { WindowPartial } from './partials';
import { addToStats, emptyStats } from './window-stats';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 27, 12);
const monitor = () => new GlobalMonitor({ partitions: 2, windowMs: MIN, minBaselineWindows: 30, sellerFdr: 0.001, topSellers: 5, ewma: EWMA_DEFAULTS });

function partial(partition: number, start: number, events: number): WindowPartial {
  const global = emptyStats();
  for (let i = 0; i < events; i++) addToStats(global, true, false, undefined);
  return { kind: 'window', partition, start, dims: new Map([['global', global]]), sellers: { tested: 0, candidates: [] }, top: [] };
}

test('a window closes only when every partition has reported past it, with all their counts', () => {
  const m = monitor();
  expect(m.accept(partial(0, T0, 3), 1)).toEqual([]);
  expect(m.accept(partial(0, T0 + MIN, 1), 2)).toEqual([]);
  const [closed, ...rest] = m.accept(partial(1, T0, 4), 3);
  expect(rest).toEqual([]);
  expect(closed.start).toBe(T0);
  expect(closed.dimensions.find((d) => d.dimension === 'global')?.events).toBe(7);
  // Partition 1 reported only the first window: the second waits, for it alone.
  expect(m.pendingStarts()).toEqual([T0 + MIN]);
  expect(m.oldestWaiting(10)).toEqual({ start: T0 + MIN, waitedMs: 8, partitions: [1] });
});

test('an idle partition is left out only if found caught up after the window began arriving', () => {
  const m = monitor();
  m.accept({ kind: 'idle', partition: 1, checkedAt: 100 }, 100);
  // A burst written after partition 1 was last seen idle: its share may still be unread.
  expect(m.accept(partial(0, T0, 3), 200)).toEqual([]);
  expect(m.accept(partial(0, T0 + MIN, 3), 201)).toEqual([]);
  // Checked again after the window's first partial arrived: nothing of it is left to read.
  const closed = m.accept({ kind: 'idle', partition: 1, checkedAt: 250 }, 250);
  expect(closed.map((w) => w.start)).toEqual([T0, T0 + MIN]);
  expect(m.latePartials).toBe(0);
});

test('beyond maxPendingWindows the oldest window closes with the partitions it has; the straggler\'s partial for it is late', () => {
  const m = new GlobalMonitor({ partitions: 2, maxPendingWindows: 3, windowMs: MIN, minBaselineWindows: 30, sellerFdr: 0.001, topSellers: 5, ewma: EWMA_DEFAULTS });
  for (let i = 0; i < 3; i++) expect(m.accept(partial(0, T0 + i * MIN, 2), i)).toEqual([]);
  // A fourth window waiting for partition 1: the oldest goes, with partition 0's two events only.
  const [forced, ...rest] = m.accept(partial(0, T0 + 3 * MIN, 2), 3);
  expect(rest).toEqual([]);
  expect(forced.start).toBe(T0);
  expect(forced.dimensions.find((d) => d.dimension === 'global')?.events).toBe(2);
  expect(m.pendingStarts()).toEqual([T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN]);
  expect(m.forcedCloses).toBe(1);
  // The straggler arrives: its first window is late, and it releases the windows it reported past.
  expect(m.accept(partial(1, T0, 5), 4)).toEqual([]);
  expect(m.latePartials).toBe(1);
  expect(m.accept(partial(1, T0 + 2 * MIN, 5), 5).map((w) => w.start)).toEqual([T0 + MIN, T0 + 2 * MIN]);
});
