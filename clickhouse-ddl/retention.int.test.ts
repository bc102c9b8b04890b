import { type ClickHouseClient } from '@clickhouse/client';
import pino from 'pino';
import { curate, curatedRow } from '../schemas/curated-event';
import { sampleEvent } from '../schemas/event-fixtures';
import { scratchDatabase, testStack, type TestStack } from '../test/stack-env';
import { dropDatabase } from './migrate';
import { applyRetention } from './retention';
import { createClickHouse } from '../lib/clickhouse';

/** Back-dated data: expired partitions vanish from every replica, recent ones stay. */

const log = pino({ level: 'warn' });
let stack: TestStack;
let ch: ClickHouseClient;
let db: string;

beforeAll(async () => {
  stack = await testStack();
  ch = createClickHouse(stack.status.components.clickhouse.http[0]);
  db = await scratchDatabase(ch, stack, 'it_retention');
});
afterAll(async () => {
  await dropDatabase(ch, db);
  await ch.close();
});

const at = (iso: string, i: number) => {
  const ts = BigInt(Date.parse(iso)) * 1_000_000n + BigInt(i);
  return curatedRow(curate(sampleEvent({ attempt_id: `${iso}-${i}`, id: BigInt(i + 1), ts, up_ts: ts - 1_000_000n, data: { company_id: BigInt(i + 1), info: '{}', media: [] } })));
};

async function monthsOnEveryReplica(table: string): Promise<string[][]> {
  return Promise.all(
    stack.layout.clickhouse.map(async (node) => {
      const client = createClickHouse(`http://127.0.0.1:${node.httpPort}`);
      await client.command({ query: `SYSTEM SYNC REPLICA ${db}.${table}` });
      const rows = await (await client.query({ query: `SELECT DISTINCT partition FROM system.parts WHERE database = '${db}' AND table = '${table}' AND active ORDER BY partition`, format: 'JSONEachRow' })).json<{ partition: string }>();
      await client.close();
      return rows.map((r) => r.partition);
    }),
  );
}

test('one year of raw events, 3 months of minute rollups and 3 years of hour and day rollups stay online', async () => {
  const months = ['2025-09-15T12:00:00Z', '2025-12-15T12:00:00Z', '2026-11-20T12:00:00Z'];
  const lines = months.flatMap((iso) => Array.from({ length: 40 }, (_, i) => at(iso, i)));
  await ch.command({ query: `INSERT INTO ${db}.upload_events FORMAT JSONEachRow\n${lines.join('\n')}`, clickhouse_settings: { insert_distributed_sync: 1 } });

  const dropped = await applyRetention(ch, db, new Date('2026-11-27T10:00:00Z'), log);
  expect(dropped).toEqual({
    upload_events_local: ['202509'],
    upload_rollup_1m_local: ['202509', '202512'],
    upload_rollup_1h_local: [],
    upload_rollup_all_1m_local: ['202509', '202512'],
    upload_rollup_all_1h_local: [],
    upload_rollup_all_1d_local: [],
    chart_windows_local: [],
    chart_points_local: [],
    anomalies_local: [],
  });

  // Every replica of every shard that held rows: only kept partitions remain.
  const raw = await monthsOnEveryReplica('upload_events_local');
  expect(raw.flat().filter((p) => p === '202509')).toEqual([]);
  expect(new Set(raw.flat())).toEqual(new Set(['202512', '202611']));
  expect(new Set((await monthsOnEveryReplica('upload_rollup_1m_local')).flat())).toEqual(new Set(['202611']));
  expect(new Set((await monthsOnEveryReplica('upload_rollup_all_1m_local')).flat())).toEqual(new Set(['202611']));
  expect(new Set((await monthsOnEveryReplica('upload_rollup_1h_local')).flat())).toEqual(new Set(['2025', '2026']));
  expect(new Set((await monthsOnEveryReplica('upload_rollup_all_1d_local')).flat())).toEqual(new Set(['2025', '2026']));

  const again = await applyRetention(ch, db, new Date('2026-11-27T10:00:00Z'), log);
  expect(Object.values(again).flat()).toEqual([]);
});
