import { clearStrategy, coveringHours, hourScope, monthScope, parseView, periodOf, rebuildQuery, sellerChunks, type RollupView } from './rollups';

/** Rebuilding a view from its own definition on the server (as ClickHouse 18.16 prints it). */

const MV_1H =
  "CREATE MATERIALIZED VIEW db.upload_rollup_1h_mv TO db.upload_rollup_1h_local ( minute DateTime('Etc/UTC'),  seller_id UInt64,  events AggregateFunction(count)) " +
  'AS SELECT toStartOfHour(event_minute) AS minute, seller_id, countState() AS events FROM db.upload_events_local  GROUP BY minute, seller_id';

test('a view definition splits into target, SELECT and what follows FROM', () => {
  expect(parseView(MV_1H, 'db')).toEqual({ target: 'upload_rollup_1h_local', select: 'SELECT toStartOfHour(event_minute) AS minute, seller_id, countState() AS events', tail: 'GROUP BY minute, seller_id' });
  expect(() => parseView(MV_1H.replace('FROM db.upload_events_local', 'FROM db.upload_events_local AS e JOIN db.sellers s USING seller_id'), 'db')).toThrow(/cannot rebuild from the raw table/);
  expect(() => parseView(MV_1H.replace('db.upload_events_local', 'db.other'), 'db')).toThrow(/not SELECT \.\.\. FROM db\.upload_events_local/);
});

test('month-partitioned targets drop partitions; others delete the month on their time column', () => {
  expect(clearStrategy('t', 'toYYYYMM(minute)')).toEqual({ by: 'partition', column: 'minute' });
  expect(clearStrategy('t', 'toYear(minute)')).toEqual({ by: 'delete', column: 'minute' });
  expect(clearStrategy('t', 'day')).toEqual({ by: 'delete', column: 'day' });
  expect(() => clearStrategy('t', '(seller_id, toYear(minute))')).toThrow(/cannot tell the time column of t/);
});

const view = (tail: string): RollupView => ({ view: 'v', target: 'upload_rollup_1h_local', distributed: 'upload_rollup_1h', columns: ['minute', 'seller_id', 'events'], select: 'SELECT toStartOfHour(event_minute) AS minute, seller_id, countState() AS events', tail, clear: { by: 'delete', column: 'minute' } });

test('the rebuild reads upload_events FINAL for one month and seller range, and inserts the target columns in order', () => {
  expect(rebuildQuery('db', view('GROUP BY minute, seller_id'), monthScope('202611', { from: 5n, to: 18446744073709551615n }))).toBe(
    'INSERT INTO db.upload_rollup_1h SELECT minute, seller_id, events FROM (SELECT toStartOfHour(event_minute) AS minute, seller_id, countState() AS events FROM db.upload_events FINAL ' +
      "WHERE event_date >= toDate('2026-11-01') AND event_date < addMonths(toDate('2026-11-01'), 1) AND seller_id >= 5 AND seller_id <= 18446744073709551615 GROUP BY minute, seller_id)",
  );
  // A view's own condition is kept, in parentheses, whatever its operators.
  expect(rebuildQuery('db', view("WHERE origin = 'ui' OR is_created = 1 GROUP BY minute, seller_id"), monthScope('202612', { from: 1n, to: 2n }))).toContain(
    "WHERE (event_date >= toDate('2026-12-01') AND event_date < addMonths(toDate('2026-12-01'), 1) AND seller_id >= 1 AND seller_id <= 2) AND (origin = 'ui' OR is_created = 1) GROUP BY minute, seller_id)",
  );
});

test('an hour is scoped by its date and its event times, and only an hour start is taken', () => {
  const h = Date.parse('2026-11-29T07:00:00Z') / 1000;
  expect(hourScope(h)).toBe(`event_date = toDate(toDateTime(${h})) AND event_time >= toDateTime(${h}) AND event_time < toDateTime(${h + 3600})`);
  expect(() => hourScope(h + 60)).toThrow(/not the epoch second of an hour's start/);
  expect(() => hourScope(Number.NaN)).toThrow(/not the epoch second/);
});

test('sellers are grouped into ranges of at most the chunk size, a big seller alone', () => {
  const counts = [1n, 2n, 3n, 4n, 9n].map((seller, i) => ({ seller, rows: [40, 50, 500, 10, 20][i] }));
  expect(sellerChunks(counts, 100)).toEqual([
    { from: 1n, to: 2n, rows: 90 },
    { from: 3n, to: 3n, rows: 500 },
    { from: 4n, to: 9n, rows: 30 },
  ]);
  expect(sellerChunks([], 100)).toEqual([]);
});

test('a daily rollup is rebuilt by whole days, an hourly or minute one by the hours given', () => {
  const view = (target: string): RollupView => ({ view: 'v', target, distributed: 'd', columns: [], select: '', tail: '', clear: { by: 'delete', column: 'minute' } });
  expect(periodOf(view('upload_rollup_1m_local'))).toBe(3600);
  expect(periodOf(view('upload_rollup_all_1h_local'))).toBe(3600);
  expect(periodOf(view('upload_rollup_all_1d_local'))).toBe(86400);
  expect(() => periodOf(view('bytes_by_origin_local'))).toThrow('must end in _1m, _1h or _1d');
  const h = (iso: string) => Date.parse(iso) / 1000;
  expect(coveringHours([h('2026-11-29T13:00:00Z'), h('2026-11-29T11:00:00Z')], 3600)).toEqual([h('2026-11-29T11:00:00Z'), h('2026-11-29T13:00:00Z')]);
  const day = coveringHours([h('2026-11-29T13:00:00Z'), h('2026-11-29T02:00:00Z')], 86400);
  expect(day).toHaveLength(24);
  expect([day[0], day[23]]).toEqual([h('2026-11-29T00:00:00Z'), h('2026-11-29T23:00:00Z')]);
});
