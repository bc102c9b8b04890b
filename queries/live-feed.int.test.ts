import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClickHouseClient } from '@clickhouse/client';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createClickHouse } from '../lib/clickhouse';
import { loadEnv, serviceConfig } from '../lib/config';
import { eventually, testStack, uniqueName } from '../test/stack-env';
import { createApiApp } from './api/app';
import { LiveFeed } from './live-feed';

/**
 * The chart read endpoints and the live feed on the real ClickHouse, over rows written the way the
 * anomaly worker's leader writes them (shared tables, a stream of this file's own): the last written
 * version of a window wins, hostile parameters are refused by name, and the event stream pushes a
 * new window within a poll, never repeats one, and ends when the client leaves or the feed closes.
 */

const log = pino({ level: 'warn' });
const POLL_MS = 300;
let ch: ClickHouseClient;
let db: string;
let server: http.Server;
let base: string;
let live: LiveFeed;
const stream = uniqueName('live-feed');
const NOW = Math.floor(Date.now() / 1000);
// Windows of 5 s, the newest two minutes ago.
const T0 = Math.floor((NOW - 600) / 5) * 5;
const at = (i: number) => T0 + 5 * i;

const point = (i: number, written: number, extra: Partial<Record<string, unknown>> = {}) => ({
  stream,
  chart: 'failure_rate',
  dimension: 'origin=xlsx-import',
  window_start: at(i),
  value: 0.02,
  n: 400,
  center: 0.02,
  ucl: 0.041,
  lcl: 0,
  sigma: 0.007,
  rules: [],
  written_at: written,
  ...extra,
});
const anomaly = (i: number, dimension: string, chart: string, rule: string, detected: number) => ({
  stream,
  anomaly_id: `${chart}|${dimension}|${at(i) * 1000}|${rule}`,
  chart,
  dimension,
  window_start: at(i),
  window_end: at(i) + 5,
  value: 0.5,
  center: 0.02,
  ucl: 0.041,
  lcl: 0,
  p_value: chart.startsWith('seller_') ? 1e-9 : null,
  rule,
  severity: 'page',
  detected_at: detected,
});
const chartWindow = (i: number, written: number) => ({ stream, dimension: 'global', window_start: at(i), window_seconds: 5, events: 1000, attempts: 400, failures: 8, latency_count: 300, latency_sum: 300 * 900, latency_sumsq: 0, latency_p95: null, latency_p99: null, in_control: 1, written_at: written });

async function insert(table: string, values: object[]): Promise<void> {
  await ch.insert({ table: `${db}.${table}`, values, format: 'JSONEachRow', clickhouse_settings: { insert_distributed_sync: 1 } });
}

beforeAll(async () => {
  const stack = await testStack();
  ch = createClickHouse(stack.status.components.clickhouse.http[0]);
  db = serviceConfig(loadEnv()).clickhouse.database;
  const metrics = new Registry();
  live = new LiveFeed({ clickhouse: ch, database: db, pollMs: POLL_MS, maxStreams: 2, log, metrics });
  server = http.createServer(createApiApp({ clickhouse: ch, database: db, metrics, log, live, defaultStream: stream }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const written = NOW - 120;
  // Window 1 written twice: a failover rewrote it later with another value.
  await insert('chart_points', [point(0, written), point(1, written), point(2, written, { value: 0.3, rules: ['1', '2'] }), point(3, written, { center: null, ucl: null, lcl: null, sigma: null })]);
  await insert('chart_points', [point(1, written + 5, { value: 0.025 })]);
  await insert('anomalies', [anomaly(2, 'origin=xlsx-import', 'failure_rate', '1', written), anomaly(2, 'seller=9007199254740003', 'seller_failure_rate', 'tail', written), anomaly(3, 'seller=9007199254740003', 'seller_volume', 'tail', written)]);
  await insert('chart_windows', [chartWindow(0, written), chartWindow(1, written)]);
});

afterAll(async () => {
  await live.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await ch.close();
});

const range = { from: String(T0 - 60), to: String(NOW + 60) };
const getJson = async (path: string, params: Record<string, string>) => {
  const res = await fetch(`${base}${path}?${new URLSearchParams(params)}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { problems?: string[] } };
};

test('chart points, anomalies, windows and dimensions of one stream; a rewritten window counts once, as last written', async () => {
  const points = await getJson('/v1/chart-points', { chart: 'failure_rate', dimension: 'origin=xlsx-import', ...range });
  expect(points.status).toBe(200);
  expect(points.body.stream).toBe(stream);
  const list = points.body.points as { t: number; value: number; center: number | null; rules: string[] }[];
  expect(list.map((p) => [p.t, p.value])).toEqual([
    [at(0), 0.02],
    [at(1), 0.025],
    [at(2), 0.3],
    [at(3), 0.02],
  ]);
  expect(list[2].rules).toEqual(['1', '2']);
  expect(list[3].center).toBeNull();

  const anomalies = await getJson('/v1/anomalies', { stream, ...range });
  expect((anomalies.body.anomalies as { id: string }[]).map((a) => a.id)).toEqual([
    `seller_volume|seller=9007199254740003|${at(3) * 1000}|tail`,
    `failure_rate|origin=xlsx-import|${at(2) * 1000}|1`,
    `seller_failure_rate|seller=9007199254740003|${at(2) * 1000}|tail`,
  ]);
  const forSeller = await getJson('/v1/anomalies', { dimension: 'seller=9007199254740003', chart: 'seller_volume', ...range });
  expect((forSeller.body.anomalies as { pValue: number }[]).map((a) => a.pValue)).toEqual([1e-9]);

  const windows = await getJson('/v1/windows', range);
  expect(windows.body.windows).toEqual([
    { t: at(0), seconds: 5, events: 1000, attempts: 400, failures: 8, latencyMean: 900, written: NOW - 120 },
    { t: at(1), seconds: 5, events: 1000, attempts: 400, failures: 8, latencyMean: 900, written: NOW - 120 },
  ]);

  expect((await getJson('/v1/dimensions', { chart: 'failure_rate', ...range })).body.dimensions).toEqual([{ dimension: 'origin=xlsx-import', count: 4 }]);
  expect((await getJson('/v1/dimensions', { chart: 'seller', ...range })).body.dimensions).toEqual([{ dimension: 'seller=9007199254740003', count: 2 }]);
});

test.each([
  ['/v1/chart-points', { chart: 'failure_rate', dimension: "global' OR 1=1 --", ...range }, 'dimension'],
  ['/v1/chart-points', { chart: 'failure_rate; DROP TABLE x', dimension: 'global', ...range }, 'chart'],
  ['/v1/chart-points', { chart: 'failure_rate', dimension: 'origin=a\\', stream: "x'; DROP TABLE chart_points; --", ...range }, 'stream'],
  ['/v1/anomalies', { dimension: 'seller=123456789012345678901234', ...range }, 'dimension'],
  ['/v1/anomalies', { limit: '1e9', ...range }, 'limit'],
  ['/v1/windows', { from: 'yesterday', to: range.to }, 'from'],
  ['/v1/windows', { from: '0', to: range.to }, 'to'],
  ['/v1/dimensions', { chart: 'seller', ...range, extra: '1' }, 'unknown parameter'],
  ['/v1/live', { chart: 'failure_rate', from: String(NOW - 30 * 86_400) }, 'from'],
])('%s refuses %j with a 400 naming %s', async (path, params, name) => {
  const { status, body } = await getJson(path, params);
  expect(status).toBe(400);
  expect(body.problems?.join('\n')).toContain(name);
});

/** A minimal text/event-stream reader over fetch. */
function subscribe(params: Record<string, string>) {
  const abort = new AbortController();
  const events: { event: string; data: Record<string, unknown[]> & Record<string, unknown> }[] = [];
  const ended = (async () => {
    const res = await fetch(`${base}/v1/live?${new URLSearchParams(params)}`, { signal: abort.signal });
    if (res.status !== 200) throw new Error(`live stream answered ${res.status}: ${await res.text()}`);
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    }
  })();
  return { events, ended, close: () => abort.abort() };
}

test('the live stream: a snapshot, then each new or rewritten window once, within a poll; it ends when the client leaves or the feed closes', async () => {
  const client = subscribe({ chart: 'failure_rate', dimension: 'origin=xlsx-import', from: String(T0 - 60) });
  const snapshot = await eventually('the snapshot', async () => client.events.find((e) => e.event === 'snapshot'), 10_000);
  expect((snapshot.data.points as { t: number }[]).map((p) => p.t)).toEqual([at(0), at(1), at(2), at(3)]);
  expect(snapshot.data.stream).toBe(stream);
  expect((snapshot.data.windows as unknown[]).length).toBe(2);
  expect(live.openStreams).toBe(1);

  // A new window, written now, and the overview window beside it.
  const writtenAt = Math.floor(Date.now() / 1000);
  const sentAt = Date.now();
  await insert('chart_points', [point(4, writtenAt, { value: 0.5, rules: ['1'] })]);
  await insert('anomalies', [anomaly(4, 'origin=xlsx-import', 'failure_rate', '1', writtenAt)]);
  await insert('chart_windows', [chartWindow(4, writtenAt)]);
  const update = await eventually('the new window pushed', async () => client.events.find((e) => e.event === 'update' && (e.data.points as { t: number }[]).some((p) => p.t === at(4))), 10_000);
  expect(Date.now() - sentAt).toBeLessThan(5000);
  // The anomaly and overview rows may come in the same update or the next poll.
  await eventually('the anomaly and the overview window pushed', async () => {
    const updates = client.events.filter((e) => e.event === 'update');
    const anomalyIds = updates.flatMap((e) => (e.data.anomalies as { id: string }[]).map((a) => a.id));
    const windows = updates.flatMap((e) => (e.data.windows as { t: number }[]).map((w) => w.t));
    return anomalyIds.includes(`failure_rate|origin=xlsx-import|${at(4) * 1000}|1`) && windows.includes(at(4)) ? true : undefined;
  }, 10_000);
  expect(update.data.points).toEqual([expect.objectContaining({ t: at(4), value: 0.5, rules: ['1'] })]);

  // The same row again (same version): re-read inside the overlap, never re-sent. A later version is.
  await insert('chart_points', [point(4, writtenAt, { value: 0.5, rules: ['1'] })]);
  await new Promise((r) => setTimeout(r, 4 * POLL_MS));
  await insert('chart_points', [point(4, writtenAt + 1, { value: 0.45, rules: ['1'] })]);
  await eventually('the rewritten window pushed', async () => (client.events.some((e) => e.event === 'update' && (e.data.points as { value: number }[]).some((p) => p.value === 0.45)) ? true : undefined), 10_000);
  const pushes = client.events.filter((e) => e.event === 'update').flatMap((e) => e.data.points as { t: number; value: number }[]);
  expect(pushes.filter((p) => p.t === at(4)).map((p) => p.value)).toEqual([0.5, 0.45]);
  expect(client.events.filter((e) => e.event === 'snapshot')).toHaveLength(1);

  // The client leaves: its stream stops polling and is released.
  client.close();
  await client.ended;
  await eventually('the stream released', async () => (live.openStreams === 0 ? true : undefined), 5000);

  // The seller drill-down: that seller's breaches, then the feed closes under it (SIGTERM path).
  const seller = subscribe({ chart: 'seller', dimension: 'seller=9007199254740003', from: String(T0 - 60) });
  const sellerSnapshot = await eventually('the seller snapshot', async () => seller.events.find((e) => e.event === 'snapshot'), 10_000);
  expect((sellerSnapshot.data.breaches as { chart: string }[]).map((b) => b.chart).sort()).toEqual(['seller_failure_rate', 'seller_volume']);
  expect(sellerSnapshot.data.points).toEqual([]);
  const extra = subscribe({ chart: 'failure_rate', from: String(T0 - 60) });
  await eventually('two streams open', async () => (live.openStreams === 2 ? true : undefined), 5000);
  // At capacity (maxStreams 2): refused with a reason.
  const refused = await fetch(`${base}/v1/live?from=${T0}`);
  expect(refused.status).toBe(503);
  expect(((await refused.json()) as { error: string }).error).toContain('API_LIVE_MAX_STREAMS');
  await live.close();
  await Promise.all([seller.ended, extra.ended]);
  expect(live.openStreams).toBe(0);
});
