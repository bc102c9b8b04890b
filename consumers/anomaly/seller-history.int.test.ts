import type { ClickHouseClient } from '@clickhouse/client';
import { dropDatabase } from '../../clickhouse-ddl/migrate';
import { createClickHouse } from '../../lib/clickhouse';
import { createTraffic } from '../../producers/simulator/model';
import { curate, curatedRow } from '../../schemas/curated-event';
import { scratchDatabase, testStack } from '../../test/stack-env';
import { HOUR_MS } from './charts';
import { loadSellerHistories, sellerHistories } from './seller-history';
import { rollupRows } from './testing';

/** The seller histories a new partition owner loads from the real rollups are those the events imply. */

const START = Date.UTC(2026, 10, 20, 6, 0, 0);
const PARTITIONS = 12;
let ch: ClickHouseClient;
let db: string;

beforeAll(async () => {
  const stack = await testStack();
  ch = createClickHouse(stack.status.components.clickhouse.http[0]);
  db = await scratchDatabase(ch, stack, 'it_seller_history');
});

afterAll(async () => {
  await dropDatabase(ch, db);
  await ch.close();
});

test('hourly and minute rollups give every partition its sellers back', async () => {
  const events = createTraffic({ seed: 9, start: BigInt(START) * 1_000_000n, rate: 2, sellers: 80 }).takeUntil(BigInt(START + 3 * HOUR_MS) * 1_000_000n);
  await ch.command({ query: `INSERT INTO ${db}.upload_events FORMAT JSONEachRow\n${events.map((e) => curatedRow(curate(e))).join('\n')}`, clickhouse_settings: { insert_distributed_sync: 1 } });
  // Partitions resume at different points, as they do after a replay.
  const takeovers = Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, resumeAt: START + 2 * HOUR_MS + (partition % 3) * 20 * 60_000 }));
  const options = { windowMs: 60_000, partitions: PARTITIONS, trailingWindows: 60, forgetAfterMs: 168 * HOUR_MS };

  const loaded = await loadSellerHistories(ch, db, takeovers, options);
  const expected = sellerHistories(rollupRows(events, HOUR_MS), rollupRows(events, 60_000), takeovers, options);
  expect([...loaded.keys()].sort((a, b) => a - b)).toEqual(takeovers.map((t) => t.partition));
  expect([...loaded.values()].reduce((n, h) => n + h.sellers.size, 0)).toBeGreaterThan(40);
  expect(loaded).toEqual(expected);
});
