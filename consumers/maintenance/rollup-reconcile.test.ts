import { countedViews, periodWindow, reconcileWindow } from './rollup-reconcile';
import type { RollupView } from '../replay/rollups';

test('the window holds the closed hours that ended at least the settle time ago', () => {
  const at = (iso: string) => new Date(iso);
  const h = (iso: string) => Date.parse(iso) / 1000;
  expect(reconcileWindow(at('2026-11-29T12:04:59Z'), 6, 300_000)).toEqual({ from: h('2026-11-29T05:00:00Z'), to: h('2026-11-29T11:00:00Z') });
  expect(reconcileWindow(at('2026-11-29T12:05:00Z'), 6, 300_000)).toEqual({ from: h('2026-11-29T06:00:00Z'), to: h('2026-11-29T12:00:00Z') });
});

test('only rollups with an events count are compared', () => {
  const view = (name: string, columns: string[]): RollupView => ({ view: name, target: `${name}_local`, distributed: name, columns, select: '', tail: '', clear: { by: 'delete', column: 'minute' } });
  expect(countedViews([view('a', ['minute', 'events']), view('b', ['minute', 'bytes'])]).map((v) => v.view)).toEqual(['a']);
});

test('a period window holds the whole periods that closed in the window, from the one it begins in', () => {
  const h = (iso: string) => Date.parse(iso) / 1000;
  const w = { from: h('2026-11-29T20:00:00Z'), to: h('2026-11-30T02:00:00Z') };
  expect(periodWindow(w, 3600)).toEqual(w);
  expect(periodWindow(w, 86400)).toEqual({ from: h('2026-11-29T00:00:00Z'), to: h('2026-11-30T00:00:00Z') });
  // No midnight in the window: no closed day to compare.
  const morning = { from: h('2026-11-30T02:00:00Z'), to: h('2026-11-30T08:00:00Z') };
  const days = periodWindow(morning, 86400);
  expect(days.to).toBe(days.from);
});
