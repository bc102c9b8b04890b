import { keepsMonth, oldestKept, RETENTION } from './retention';

const rule = (table: string) => RETENTION.find((r) => r.table === table)!;

test('raw events keep the month a year back and everything after it', () => {
  expect(oldestKept(rule('upload_events_local'), new Date('2026-11-27T10:00:00Z'))).toBe(202511);
  expect(oldestKept(rule('upload_events_local'), new Date('2026-01-01T00:00:00Z'))).toBe(202501);
});

test('minute rollups keep 3 months, hour rollups 3 years', () => {
  expect(oldestKept(rule('upload_rollup_1m_local'), new Date('2026-02-10T00:00:00Z'))).toBe(202511);
  expect(oldestKept(rule('upload_rollup_1h_local'), new Date('2026-11-27T00:00:00Z'))).toBe(2023);
});

test('a month is kept by monthly rules from the oldest kept month on, by yearly rules from the oldest kept year', () => {
  const now = new Date('2026-11-27T00:00:00Z');
  expect(keepsMonth(rule('upload_rollup_1m_local'), '202608', now)).toBe(true);
  expect(keepsMonth(rule('upload_rollup_1m_local'), '202607', now)).toBe(false);
  expect(keepsMonth(rule('upload_rollup_1h_local'), '202301', now)).toBe(true);
  expect(keepsMonth(rule('upload_rollup_1h_local'), '202212', now)).toBe(false);
});
