import { plan, seriesParams, seriesSql } from './series';

/** The rollup level and step /v1/series reads for a range, a step and a seller or all sellers. */

const DAY = 86400;
const q = (days: number, extra: Record<string, string> = {}) => seriesParams.parse({ metric: 'latency_p95', from: '2026-01-01T00:00:00Z', to: String(Date.parse('2026-01-01T00:00:00Z') / 1000 + days * DAY), ...extra });

test('without a step: minutes up to 7 days, hours up to 92 days, days beyond (all sellers from the daily rollup)', () => {
  expect(plan(q(1))).toEqual({ level: '1m', step: 60 });
  expect(plan(q(7))).toEqual({ level: '1m', step: 120 }); // 10,080 minutes: over the 10,000 points a chart gets
  expect(plan(q(30))).toEqual({ level: '1h', step: 3600 });
  expect(plan(q(92))).toEqual({ level: '1h', step: 3600 });
  expect(plan(q(365))).toEqual({ level: '1d', step: DAY });
  // One seller has no daily rollup: its hours are summed by day.
  expect(plan(q(365, { seller: '42' }))).toEqual({ level: '1h', step: DAY });
});

test('a step of whole days reads the daily rollup for all sellers; any other step the hours or minutes', () => {
  expect(plan(q(3, { step: String(DAY) }))).toEqual({ level: '1d', step: DAY });
  expect(plan(q(365, { step: String(2 * DAY) }))).toEqual({ level: '1d', step: 2 * DAY });
  expect(plan(q(365, { step: String(1.5 * DAY) }))).toEqual({ level: '1h', step: 1.5 * DAY });
  expect(plan(q(365, { step: '3600' }))).toEqual({ level: '1h', step: 3600 });
  expect(plan(q(365, { step: '60' }))).toEqual({ level: '1h', step: 3600 });
  expect(plan(q(2, { step: '300' }))).toEqual({ level: '1m', step: 300 });
});

test('the daily level reads upload_rollup_all_1d in buckets of the step', () => {
  const { sql } = seriesSql('upload_pulse', q(365, { country: 'PL' }));
  expect(sql).toContain('FROM upload_pulse.upload_rollup_all_1d WHERE');
  expect(sql).toContain(`intDiv(toUInt32(minute), ${DAY}) * ${DAY}`);
  expect(sql).toContain("country = 'PL'");
  expect(seriesSql('upload_pulse', q(365, { seller: '42' })).sql).toContain('FROM upload_pulse.upload_rollup_1h WHERE');
});
