import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import { Command } from 'commander';
import pino from 'pino';
import { CLUSTER, dropDatabase, migrate } from '../clickhouse-ddl/migrate';
import { keepsMonth, RETENTION } from '../clickhouse-ddl/retention';
import { monthsOverlapping } from '../consumers/replay/plan';
import { discoverRollups, rebuildRollups } from '../consumers/replay/rollups';
import { createClickHouse, queryRows } from '../lib/clickhouse';
import { querySeries, type SeriesQuery } from '../queries/series';
import { report, runningStack } from './bench-env';

/**
 * A year of history at scale: --rows events spread evenly over --days, generated inside ClickHouse
 * (INSERT ... SELECT FROM numbers() through the Distributed table, rollup views detached), then the
 * rollups rebuilt from them by the replay's month rebuild, for the months each rollup's retention
 * keeps (minute rollups: 3 months). The views would aggregate every inserted block on its own, a
 * rollup row per event at this density: 50,000-80,000 rows/s against 1,000,000 for the rows alone.
 * After background merges settle: bytes per event on disk (raw table and rollups, compressed), and
 * the 1-year control-chart queries of /v1/series (one seller, all sellers), median of 5 runs.
 * Sellers are Zipf-like (log-uniform rank), each in one country, 80% of its events from its main
 * origin; about 2% of attempts fail, 40% of events create an item.
 * Values are hashes, so they compress worse than real uploads: bytes per event is an upper bound.
 *   npm run bench:history -- --rows 1000000000
 * The database is dropped at the end unless --keep.
 */

const opts = new Command('history-scale')
  .option('--rows <n>', 'events to generate', Number, 1_000_000_000)
  .option('--days <n>', 'days of history they span, ending now', Number, 365)
  .option('--sellers <n>', 'sellers', Number, 5000)
  .option('--chunk <n>', 'rows per INSERT', Number, 50_000_000)
  .option('--rollup-chunk <n>', 'raw rows read by one rollup re-insert', Number, 5_000_000)
  .option('--settle-minutes <n>', 'longest wait for background merges before measuring bytes', Number, 30)
  .option('--keep', 'keep the database afterwards')
  .parse()
  .opts<{ rows: number; days: number; sellers: number; chunk: number; rollupChunk: number; settleMinutes: number; keep?: boolean }>();
const log = pino({ level: 'warn' });

const runs = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * One generated event per number n; every column derived from hashes of n, so chunks are independent.
 * An upload attempt is three consecutive numbers: its events share the seller, item and origin.
 */
function rowsSql(db: string, from: number, count: number, total: number, startS: number, spanS: number, sellers: number): string {
  const h = (salt: number) => `cityHash64(number, ${salt})`;
  const attempt = (salt: number) => `cityHash64(intDiv(number, 3), ${salt})`;
  return `INSERT INTO ${db}.upload_events
    SELECT event_key, id, event, attempt_id, is_created, origin, up_ts, ts, country, seller_id, info, media_count, media_bytes, latency_ms,
           toDateTime(intDiv(ts, 1000000000)) AS event_time, toStartOfMinute(event_time) AS event_minute, toDate(event_time) AS event_date
    FROM (
      SELECT ${h(1)} AS event_key,
             ${attempt(2)} % 1000000000000 AS id,
             CAST(multiIf(${h(3)} % 1000 < 8, 'ERROR', ${h(3)} % 1000 < 400, 'SAVE', 'UPDATE') AS Enum8('SAVE' = 1, 'UPDATE' = 2, 'ERROR' = 3)) AS event,
             toString(intDiv(number, 3)) AS attempt_id,
             toUInt8(${h(4)} % 10 < 4) AS is_created,
             ['seller-api', 'xlsx-import', 'ui', 'partner-feed'][(if(${attempt(5)} % 10 < 8, cityHash64(seller_id), ${attempt(5)}) % 4) + 1] AS origin,
             toUInt64(${startS} + intDiv(number * ${spanS}, ${total})) * 1000000000 + ${h(6)} % 1000000000 AS ts,
             if(is_created = 1, ts - (50 + ${h(7)} % 5000) * 1000000, 0) AS up_ts,
             toFixedString(['RU', 'KZ', 'BY', 'UZ', 'AM', 'KG'][cityHash64(seller_id, 8) % 6 + 1], 2) AS country,
             1000000 + toUInt64(floor(pow(${sellers}, (${attempt(9)} % 1000000) / 1000000))) AS seller_id,
             concat('{"sku":"', toString(${attempt(10)} % 100000), '"}') AS info,
             toUInt16(${h(11)} % 5) AS media_count,
             media_count * (100000 + ${h(12)} % 900000) AS media_bytes,
             if(is_created = 1, (ts - up_ts) / 1000000, 0) AS latency_ms
      FROM numbers(${from}, ${count})
    )`;
}

/** Waits until no merge of the database has run for two polls in a row; false if it is still merging at the deadline. */
async function mergesSettled(ch: ClickHouseClient, db: string, maxMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  let quiet = 0;
  while (Date.now() < deadline) {
    const [{ n }] = await queryRows<{ n: string }>(ch, `SELECT count() AS n FROM cluster('${CLUSTER}', system.merges) WHERE database = '${db}'`);
    quiet = Number(n) === 0 ? quiet + 1 : 0;
    if (quiet === 2) return true;
    await sleep(10_000);
  }
  return false;
}

async function main(): Promise<void> {
  const status = await runningStack();
  // One INSERT of a chunk runs for minutes.
  const ch = createClickHouse(status.components.clickhouse.http[0], undefined, { requestTimeoutMs: 3_600_000 });
  const db = `bench_history_${Date.now().toString(36)}`;
  await migrate(ch, { db, kafka_brokers: status.components.kafka.bootstrap, curated_topic: `${db}.unused`, ingest_group: `${db}.unused` }, log);

  const views = await discoverRollups(ch, db);
  for (const v of views) await ch.command({ query: `DETACH TABLE ${db}.${v.view} ON CLUSTER ${CLUSTER}` });

  const nowS = Math.floor(Date.now() / 1000);
  const spanS = opts.days * 86_400;
  const startS = nowS - spanS;
  const started = performance.now();
  for (let from = 0; from < opts.rows; from += opts.chunk) {
    const count = Math.min(opts.chunk, opts.rows - from);
    await ch.command({ query: rowsSql(db, from, count, opts.rows, startS, spanS, opts.sellers), clickhouse_settings: { insert_distributed_sync: 1 } });
    const s = (performance.now() - started) / 1000;
    process.stderr.write(`${from + count} of ${opts.rows} rows, ${Math.round((from + count) / s)} rows/s\n`);
  }
  const insertSeconds = (performance.now() - started) / 1000;

  for (const v of views) await ch.command({ query: `ATTACH TABLE ${db}.${v.view} ON CLUSTER ${CLUSTER}` });
  const now = new Date(nowS * 1000);
  const months = monthsOverlapping(startS * 1000, nowS * 1000);
  const rollupStarted = performance.now();
  const rollupMonths: Record<string, number> = {};
  for (const v of views) {
    const rule = RETENTION.find((r) => r.table === v.target);
    const kept = rule ? months.filter((m) => keepsMonth(rule, m, now)) : months;
    await rebuildRollups({ ch, db, views: [v], months: kept, chunkRows: opts.rollupChunk, log, signal: new AbortController().signal });
    rollupMonths[v.target] = kept.length;
    process.stderr.write(`${v.target}: ${kept.length} months rebuilt, ${Math.round((performance.now() - rollupStarted) / 1000)} s\n`);
  }
  const rollupSeconds = (performance.now() - rollupStarted) / 1000;
  const settled = await mergesSettled(ch, db, opts.settleMinutes * 60_000);

  // cluster(): one replica of each shard, so this is what one copy of the data costs on disk.
  const parts = await (
    await ch.query({
      query: `SELECT table, sum(rows) AS rows, sum(bytes_on_disk) AS bytes, count() AS parts FROM cluster('${CLUSTER}', system.parts)
              WHERE database = '${db}' AND active GROUP BY table ORDER BY table`,
      format: 'JSONEachRow',
    })
  ).json<{ table: string; rows: string; bytes: string; parts: string }>();
  const bytesPerEvent = Object.fromEntries(parts.map((p) => [p.table, Number((Number(p.bytes) / opts.rows).toFixed(2))]));

  // The seller with the most events, and the one at the median of the Zipf curve.
  const sellers = await (
    await ch.query({ query: `SELECT seller_id, countMerge(events) AS n FROM ${db}.upload_rollup_1h GROUP BY seller_id ORDER BY n DESC`, format: 'JSONEachRow' })
  ).json<{ seller_id: string; n: string }>();
  const timings: Record<string, number> = {};
  const year: Pick<SeriesQuery, 'from' | 'to'> = { from: startS, to: nowS };
  const cases: [string, SeriesQuery][] = [
    ['allSellersEventsMs', { metric: 'events', ...year }],
    ['allSellersFailureRateMs', { metric: 'failure_rate', ...year }],
    ['allSellersLatencyP95Ms', { metric: 'latency_p95', ...year }],
    // The same year in hourly points, from the hourly rollup: what the daily rollup saves.
    ['allSellersLatencyP95HourlyMs', { metric: 'latency_p95', step: 3600, ...year }],
    ['topSellerFailureRateMs', { metric: 'failure_rate', seller: BigInt(sellers[0].seller_id), ...year }],
    ['medianSellerFailureRateMs', { metric: 'failure_rate', seller: BigInt(sellers[Math.floor(sellers.length / 2)].seller_id), ...year }],
    ['medianSellerLatencyP95Ms', { metric: 'latency_p95', seller: BigInt(sellers[Math.floor(sellers.length / 2)].seller_id), ...year }],
  ];
  for (const [name, q] of cases) {
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await querySeries(ch, db, q);
      ms.push(performance.now() - t);
    }
    timings[name] = Math.round(median(ms));
  }

  if (!opts.keep) await dropDatabase(ch, db);
  await ch.close();
  report('history-scale', {
    topology: status.topology,
    rows: opts.rows,
    days: opts.days,
    sellers: sellers.length,
    insertRowsPerSecond: Math.round(opts.rows / insertSeconds),
    insertMinutes: Number((insertSeconds / 60).toFixed(1)),
    rollupRebuildMinutes: Number((rollupSeconds / 60).toFixed(1)),
    rollupMonths,
    mergesSettled: settled,
    bytesPerEvent,
    gigabytes: Object.fromEntries(parts.map((p) => [p.table, Number((Number(p.bytes) / 1e9).toFixed(2))])),
    tables: parts.map((p) => ({ table: p.table, rows: Number(p.rows), parts: Number(p.parts) })),
    queryMedianMs: timings,
    ...(opts.keep ? { database: db } : {}),
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
