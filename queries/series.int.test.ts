import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ClickHouseClient } from '@clickhouse/client';
import pino from 'pino';
import { Registry } from 'prom-client';
import { dropDatabase } from '../clickhouse-ddl/migrate';
import { curate, curatedRow } from '../schemas/curated-event';
import type { UploadEvent } from '../schemas/upload-event';
import { createTraffic } from '../producers/simulator/model';
import { scratchDatabase, syncReplicas, testStack } from '../test/stack-env';
import { createApiApp } from './api/app';
import { LiveFeed } from './live-feed';
import { createClickHouse } from '../lib/clickhouse';

/** /v1/series on real rollups: values that match the events, and hostile parameters refused. */

const log = pino({ level: 'warn' });
const FROM = Date.parse('2026-11-20T10:00:00Z') / 1000;
const MINUTES = 30;
let ch: ClickHouseClient;
let db: string;
let server: http.Server;
let base: string;
let events: UploadEvent[];

beforeAll(async () => {
  const stack = await testStack();
  ch = createClickHouse(stack.status.components.clickhouse.http[0]);
  db = await scratchDatabase(ch, stack, 'it_series');
  const start = BigInt(FROM) * 1_000_000_000n;
  events = createTraffic({ seed: 5, start, rate: 60 }).takeUntil(start + BigInt(MINUTES * 60) * 1_000_000_000n);
  await ch.command({
    query: `INSERT INTO ${db}.upload_events FORMAT JSONEachRow\n${events.map((e) => curatedRow(curate(e))).join('\n')}`,
    clickhouse_settings: { insert_distributed_sync: 1 },
  });
  // The insert reached one replica per shard; the other fetches the parts a moment later, and the
  // API may read either (the first query once found half the minutes' events on the cluster).
  await syncReplicas(stack.status.components.clickhouse.http, db);
  const metrics = new Registry();
  const live = new LiveFeed({ clickhouse: ch, database: db, pollMs: 1000, maxStreams: 1, log, metrics });
  server = http.createServer(createApiApp({ clickhouse: ch, database: db, metrics, log, live, defaultStream: 'unused' }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await dropDatabase(ch, db);
  await ch.close();
});

const series = async (params: Record<string, string>) => {
  const res = await fetch(`${base}/v1/series?${new URLSearchParams(params)}`);
  return { status: res.status, body: (await res.json()) as { level: string; step: number; points: { t: string; value: number | null; events: number }[]; problems?: string[] } };
};
const window = { from: String(FROM), to: String(FROM + MINUTES * 60) };
const minuteOf = (e: UploadEvent) => new Date(Number(e.ts / 1_000_000_000n) * 1000 - (Number(e.ts / 1_000_000_000n) % 60) * 1000).toISOString().replace('.000Z', 'Z');

test('events per minute match the events inserted', async () => {
  const { status, body } = await series({ metric: 'events', ...window });
  expect(status).toBe(200);
  expect(body.level).toBe('1m');
  const expected = new Map<string, number>();
  for (const e of events) expected.set(minuteOf(e), (expected.get(minuteOf(e)) ?? 0) + 1);
  expect(body.points.map((p) => [p.t, p.value])).toEqual([...expected.entries()].sort());
});

test('failure rate per 5 minutes for one origin is ERROR among finished attempts', async () => {
  const { body } = await series({ metric: 'failure_rate', origin: 'xlsx-import', step: '300', ...window });
  expect(body.step).toBe(300);
  const bucket = (e: UploadEvent) => Math.floor(Number(e.ts / 1_000_000_000n) / 300) * 300;
  const finished = events.filter((e) => e.origin === 'xlsx-import' && e.event !== 'UPDATE');
  for (const p of body.points) {
    const inBucket = finished.filter((e) => bucket(e) === Date.parse(p.t) / 1000);
    expect(p.value).toBeCloseTo(inBucket.filter((e) => e.event === 'ERROR').length / inBucket.length, 10);
  }
  expect(body.points.length).toBe(MINUTES / 5);
});

test('latency p50 for one seller and p95 for all follow the creating events, a month reads hourly rollups and a year of all sellers the daily one', async () => {
  const top = events[0].data.company_id.toString();
  const { body } = await series({ metric: 'latency_p50', seller: top, step: '1800', ...window });
  const latencies = events.filter((e) => e.data.company_id.toString() === top && e.is_created).map((e) => Number(e.ts - e.up_ts) / 1e6).sort((a, b) => a - b);
  const median = latencies[Math.floor(latencies.length / 2)];
  expect(body.points).toHaveLength(1);
  expect(Math.abs(body.points[0].value! - median) / median).toBeLessThan(0.1);
  // All sellers: the t-digest of the all-seller rollups.
  const all = events.filter((e) => e.is_created).map((e) => Number(e.ts - e.up_ts) / 1e6).sort((a, b) => a - b);
  const p95 = (await series({ metric: 'latency_p95', step: '1800', ...window })).body.points;
  expect(p95).toHaveLength(1);
  expect(Math.abs(p95[0].value! - all[Math.floor(all.length * 0.95)]) / all[Math.floor(all.length * 0.95)]).toBeLessThan(0.1);
  const month = await series({ metric: 'events', from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' });
  expect(month.body.level).toBe('1h');
  expect(month.body.points.reduce((n, p) => n + (p.value ?? 0), 0)).toBe(events.length);
  // A year of all sellers: the daily rollup, one point for the day of the events.
  const year = await series({ metric: 'latency_p95', from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' });
  expect([year.body.level, year.body.step]).toEqual(['1d', 86400]);
  expect(year.body.points.map((p) => p.events)).toEqual([events.length]);
  expect(Math.abs(year.body.points[0].value! - all[Math.floor(all.length * 0.95)]) / all[Math.floor(all.length * 0.95)]).toBeLessThan(0.1);
});

test.each([
  ['quote in origin', { origin: "x'; DROP TABLE upload_events; --" }, /origin: must be 1-64/],
  ['backslash in country', { country: 'R\\' }, /country: must be two uppercase letters/],
  ['SQL in seller', { seller: '1 OR 1=1' }, /seller: must be a seller id/],
  ['huge seller', { seller: '99999999999999999999' }, /seller: is larger than any seller id/],
  ['unicode origin', { origin: 'ünïcode' }, /origin: must be 1-64/],
  ['SQL in time', { from: "0'; DROP DATABASE x; --" }, /from: .* is neither epoch seconds nor an ISO time/],
  ['unknown metric', { metric: 'events; DROP' }, /metric: must be one of/],
  ['bad step', { step: '-60' }, /step: must be at least 60 seconds/],
  ['unknown parameter', { sellers: '1' }, /unknown parameter\(s\): sellers/],
  ['reversed range', { from: window.to, to: window.from }, /to: must be after from/],
])('%s is refused with 400', async (_name, override, problem) => {
  const { status, body } = await series({ metric: 'events', ...window, ...override });
  expect(status).toBe(400);
  expect(body.problems!.join('\n')).toMatch(problem);
  const tables = await (await ch.query({ query: `SELECT count() AS n FROM system.tables WHERE database = '${db}'`, format: 'JSONEachRow' })).json<{ n: string }>();
  expect(Number(tables[0].n)).toBeGreaterThan(5);
});
