import { oldestKept, RETENTION } from './retention';

const rule = (table: string) => RETENTION.find((r) => r.table === table)!;

test('raw events keep the month a year back and everything after it', () => {
  expect(oldestKept(rule('upload_events_local'), new Date('2026-11-27T10:00:00Z'))).toBe(202511);
  expect(oldestKept(rule('upload_events_local'), new Date('2026-01-01T00:00:00Z'))).toBe(202501);
});

test('minute rollups keep 3 months, hour rollups 3 years', () => {
  expect(oldestKept(rule('upload_rollup_1m_local'), new Date('2026-02-10T00:00:00Z'))).toBe(202511);
  expect(oldestKept(rule('upload_rollup_1h_local'), new Date('2026-11-27T00:00:00Z'))).toBe(2023);
});
