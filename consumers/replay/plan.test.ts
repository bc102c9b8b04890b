import { buildPlan, describePlan, monthsOverlapping } from './plan';
import { Progress } from './progress';
import type { ReplayRequest } from './request';
import { InsertBuffer } from './storage-pass';

/** The dry-run plan, progress figures, and how batches are gathered into inserts. */

test('the months a range touches, across a year end', () => {
  expect(monthsOverlapping(Date.parse('2026-11-30T23:00:00Z'), Date.parse('2027-01-01T00:00:00Z'))).toEqual(['202611', '202612']);
  expect(monthsOverlapping(Date.parse('2026-12-31T23:00:00Z'), Date.parse('2027-01-01T00:00:01Z'))).toEqual(['202612', '202701']);
});

test('the plan says what is read and what is rewritten, and how', () => {
  const request: ReplayRequest = { topic: 'raw.v1', kind: 'raw', range: { by: 'time', fromMs: Date.parse('2026-11-27T10:00:00Z'), toMs: Date.parse('2026-11-27T11:00:00Z') }, targets: ['storage', 'rollups', 'anomalies'] };
  const plan = buildPlan({
    id: 'r1',
    database: 'upload_pulse',
    request,
    asked: { fromMs: Date.parse('2026-11-27T10:00:30Z'), toMs: Date.parse('2026-11-27T11:00:00Z') },
    partitions: [
      { partition: 0, start: 10n, end: 60n },
      { partition: 1, start: 5n, end: 5n },
    ],
    group: 'upload-pulse-replay.r1.storage',
    months: ['202611'],
    views: [
      { view: 'upload_rollup_1m_mv', target: 'upload_rollup_1m_local', distributed: 'upload_rollup_1m', columns: [], select: '', tail: '', clear: { by: 'partition', column: 'minute' } },
      { view: 'upload_rollup_1h_mv', target: 'upload_rollup_1h_local', distributed: 'upload_rollup_1h', columns: [], select: '', tail: '', clear: { by: 'delete', column: 'minute' } },
    ],
    stateFile: '/s/r1.json',
  });
  expect(plan.events).toBe(50);
  expect(describePlan(plan).split('\n')).toEqual([
    'replay r1 (ClickHouse database upload_pulse; state /s/r1.json)',
    'read: topic raw.v1 (raw), events with event time in [2026-11-27T10:00:00.000Z, 2026-11-27T11:00:00.000Z), with consumer group upload-pulse-replay.r1.storage (live consumers untouched)',
    '      widened from [2026-11-27T10:00:30.000Z, 2026-11-27T11:00:00.000Z) to whole chart windows',
    '      50 offsets in 2 partitions:',
    '        partition 0: offsets 10 to 60 (50)',
    '        partition 1: offsets 5 to 5 (0)',
    'rewrite: upload_pulse.upload_events: insert the curated (decoded, validated, derived) events; copies of stored events collapse by event_key (exact with FINAL)',
    'rewrite: rollups of month(s) 2026-11, rebuilt from upload_pulse.upload_events FINAL:',
    '        upload_rollup_1m_local (view upload_rollup_1m_mv): DROP PARTITION, then re-insert',
    '        upload_rollup_1h_local (view upload_rollup_1h_mv): DELETE WHERE toYYYYMM(minute) IN months, then re-insert',
    'rewrite: chart_windows, chart_points and anomalies of stream raw.v1 for windows in [2026-11-27T10:00:00.000Z, 2026-11-27T11:00:00.000Z): delete, then regenerate in event time (baselines seeded from chart_windows before 2026-11-27T10:00:00.000Z)',
  ]);
});

test('progress: done of total, the rate of this run only, and the time left', () => {
  const p = new Progress(1000, 200, 0);
  expect(p.snapshot(0)).toEqual({ done: 200, total: 1000, percent: 20, rate: 0, etaSeconds: null });
  p.advance(300, 2000);
  expect(p.snapshot(2000)).toEqual({ done: 500, total: 1000, percent: 50, rate: 150, etaSeconds: 3 });
  p.advance(500, 3000);
  expect(p.snapshot(3000)).toMatchObject({ done: 1000, percent: 100, etaSeconds: 0 });
});

test('rows of concurrent batches go into one insert, and each batch learns when its rows are stored or failed', async () => {
  const inserts: string[][] = [];
  let fail = false;
  const buffer = new InsertBuffer(
    async (lines) => {
      inserts.push(lines);
      if (fail) throw new Error('ClickHouse down');
    },
    4,
    10,
  );
  await Promise.all([buffer.add(['a', 'b']), buffer.add(['c'])]);
  expect(inserts).toEqual([['a', 'b', 'c']]);
  await Promise.all([buffer.add(['d', 'e', 'f']), buffer.add(['g', 'h'])]);
  expect(inserts.slice(1)).toEqual([['d', 'e', 'f', 'g', 'h']]);
  fail = true;
  await expect(buffer.add(['x'])).rejects.toThrow('ClickHouse down');
});
