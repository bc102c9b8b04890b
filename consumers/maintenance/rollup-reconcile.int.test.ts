import type { ClickHouseClient } from '@clickhouse/client';
import pino from 'pino';
import { dropDatabase } from '../../clickhouse-ddl/migrate';
import { createClickHouse, queryRows } from '../../lib/clickhouse';
import { createTraffic } from '../../producers/simulator/model';
import { curate, curatedRow, type CuratedEvent } from '../../schemas/curated-event';
import { scratchDatabase, testStack, type TestStack } from '../../test/stack-env';
import { discoverRollups } from '../replay/rollups';
import { driftedPeriods, reconcileRollups, reconcileWindow } from './rollup-reconcile';

/** Rollups that counted a redelivered block are found and rebuilt to equal the deduplicated raw table: by hours, and the daily rollup by whole days once the day closed. */

const log = pino({ level: 'warn' });
let stack: TestStack;
let ch: ClickHouseClient;
let db: string;

const HOUR_S = 3600;
const DAY = Date.parse('2026-11-20T00:00:00Z') / 1000;
const FIRST_HOUR = DAY + 10 * HOUR_S;
const SECOND_HOUR = FIRST_HOUR + HOUR_S;
// Two hours of events, then a third hour after them: the window of a pass at NOW covers both.
const NOW = new Date((SECOND_HOUR + 2 * HOUR_S) * 1000);
// Two hours after the day's end: the first pass whose window holds its midnight.
const NEXT_DAY = new Date((DAY + 26 * HOUR_S) * 1000);

beforeAll(async () => {
  stack = await testStack();
  ch = createClickHouse(stack.status.components.clickhouse.http[0]);
  db = await scratchDatabase(ch, stack, 'it_reconcile');
});
afterAll(async () => {
  await dropDatabase(ch, db);
  await ch.close();
});

// The rows as the Kafka engine reads them (64-bit values as JSON numbers, which JSON.parse would round).
const insert = (events: CuratedEvent[], settings: Record<string, number> = {}) =>
  ch.command({ query: `INSERT INTO ${db}.upload_events FORMAT JSONEachRow\n${events.map(curatedRow).join('\n')}`, clickhouse_settings: { insert_distributed_sync: 1, ...settings } });

/** events, errors and events with a latency per minute, from the raw table (FINAL) and from each minute rollup. */
async function perMinute(): Promise<Record<string, string[]>> {
  const raw = await queryRows<{ line: string }>(ch, `SELECT concat(toString(event_minute), ' ', toString(count()), ' ', toString(countIf(event = 'ERROR')), ' ', toString(countIf(is_created = 1))) AS line FROM ${db}.upload_events FINAL GROUP BY event_minute ORDER BY event_minute`);
  const result: Record<string, string[]> = { raw: raw.map((r) => r.line) };
  for (const table of ['upload_rollup_1m', 'upload_rollup_all_1m']) {
    const rows = await queryRows<{ line: string }>(ch, `SELECT concat(toString(minute), ' ', toString(countMerge(events)), ' ', toString(countMergeIf(events, event = 'ERROR')), ' ', toString(countIfMerge(latency_n))) AS line FROM ${db}.${table} GROUP BY minute ORDER BY minute`);
    result[table] = rows.map((r) => r.line);
  }
  return result;
}

test('a redelivered block doubles rollups of one hour; a pass finds that hour alone and rebuilds it', async () => {
  const start = BigInt(FIRST_HOUR) * 1_000_000_000n;
  const rows = createTraffic({ seed: 31, start, rate: 2 })
    .takeUntil(start + 2n * BigInt(HOUR_S) * 1_000_000_000n)
    .map(curate);
  await insert(rows);
  const views = await discoverRollups(ch, db);
  const window = reconcileWindow(NOW, 6, 300_000);
  expect(await driftedPeriods(ch, db, views, window)).toEqual({});

  // What an ingest server restarting does: a block of the second hour arrives again. The raw table
  // collapses it under FINAL, the rollup views count it.
  const redelivered = rows.filter((r) => r.event_time >= SECOND_HOUR + 600 && r.event_time < SECOND_HOUR + 1200);
  expect(redelivered.length).toBeGreaterThan(100);
  await insert(redelivered, { insert_deduplicate: 0 });
  const before = await perMinute();
  expect(before.upload_rollup_1m).not.toEqual(before.raw);

  const hourly = { upload_rollup_1m_mv: [SECOND_HOUR], upload_rollup_1h_mv: [SECOND_HOUR], upload_rollup_all_1m_mv: [SECOND_HOUR], upload_rollup_all_1h_mv: [SECOND_HOUR] };
  expect(await driftedPeriods(ch, db, views, window)).toEqual(hourly);
  expect(await reconcileRollups({ ch, db, window, log })).toEqual([SECOND_HOUR]);

  const after = await perMinute();
  expect(after.upload_rollup_1m).toEqual(after.raw);
  expect(after.upload_rollup_all_1m).toEqual(after.raw);
  expect(after.raw).toEqual(before.raw);
  const hours = await queryRows<{ hour: string; events: string }>(ch, `SELECT toString(minute) AS hour, toString(countMerge(events)) AS events FROM ${db}.upload_rollup_1h GROUP BY minute ORDER BY minute`);
  const rawHourly = await queryRows<{ hour: string; events: string }>(ch, `SELECT toString(toStartOfHour(event_time)) AS hour, toString(count()) AS events FROM ${db}.upload_events FINAL GROUP BY hour ORDER BY hour`);
  expect(hours).toEqual(rawHourly);
  expect(hours.map((h) => Number(h.events)).reduce((a, b) => a + b, 0)).toBe(rows.length);
  expect(await driftedPeriods(ch, db, views, window)).toEqual({});
  // Nothing left to repair: a second pass changes nothing.
  expect(await reconcileRollups({ ch, db, window, log })).toEqual([]);

  // The daily rollup still holds the copies: its day is compared once closed, and rebuilt whole.
  const daily = () => queryRows<{ day: number; events: string }>(ch, `SELECT toUInt32(minute) AS day, toString(countMerge(events)) AS events FROM ${db}.upload_rollup_all_1d GROUP BY minute ORDER BY minute`);
  expect(await daily()).toEqual([{ day: DAY, events: String(rows.length + redelivered.length) }]);
  const nextDay = reconcileWindow(NEXT_DAY, 6, 300_000);
  expect(await driftedPeriods(ch, db, views, nextDay)).toEqual({ upload_rollup_all_1d_mv: [DAY] });
  expect(await reconcileRollups({ ch, db, window: nextDay, log })).toEqual(Array.from({ length: 24 }, (_, i) => DAY + i * HOUR_S));
  expect(await daily()).toEqual([{ day: DAY, events: String(rows.length) }]);
  expect(await driftedPeriods(ch, db, views, nextDay)).toEqual({});
});
