import { freshnessOf, FreshnessTracker } from './freshness';

test('a marker whose request was refused is neither late nor missing; one never seen is both', () => {
  const summary = freshnessOf([
    { key: 'a', sentAtMs: 0, seenAtMs: 1000 },
    { key: 'b', sentAtMs: 0, refused: true },
    { key: 'c', sentAtMs: 0 },
  ]);
  expect(summary).toMatchObject({ markers: 2, missing: 1, max: Number.POSITIVE_INFINITY });
});

test('withdrawing a marker stops waiting for it and marks it refused', () => {
  const tracker = new FreshnessTracker({ clickhouse: undefined as never, database: 'db', keyColumn: 'ts', where: '1' });
  tracker.mark('1', 10);
  tracker.mark('2', 20);
  tracker.withdraw('2');
  tracker.withdraw('unknown');
  expect(tracker.pendingCount).toBe(1);
  expect(tracker.all().map((m) => [m.key, m.refused ?? false])).toEqual([['1', false], ['2', true]]);
});
