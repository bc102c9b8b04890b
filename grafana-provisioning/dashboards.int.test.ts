import type { ClickHouseClient } from '@clickhouse/client';
import { Partitioners, type Producer } from 'kafkajs';
import pino from 'pino';
import { dropDatabase } from '../clickhouse-ddl/migrate';
import { chartRows, insertChartRows } from '../consumers/anomaly/chart-outputs';
import type { ClosedWindow } from '../consumers/anomaly/global-monitor';
import { runInMemory } from '../consumers/anomaly/in-memory-run';
import { monitorOptions } from '../consumers/anomaly/options';
import { createClickHouse } from '../lib/clickhouse';
import { loadEnv, serviceConfig } from '../lib/config';
import { createKafka } from '../lib/kafka';
import { parseIncident } from '../producers/simulator/incidents';
import { createTraffic } from '../producers/simulator/model';
import { simulate, type SimulationSummary } from '../producers/simulator/run';
import { gatewaySink } from '../producers/simulator/sinks';
import { curate, curatedRow } from '../schemas/curated-event';
import { scratchDatabase, eventually, testStack } from '../test/stack-env';
import type { Panel } from './dashboard-model';
import { ALL, dashboardRange, expandClickHouse, expandPrometheus, resolveVariables, type ExpandContext, type PromQuery, type VariableState } from './expand';
import { dashboardQueries, datasourceOf, loadDashboards, loadDatasources, type DashboardQuery } from './targets';

/**
 * Every query of the provisioned dashboards on the real servers, as Grafana and the ClickHouse
 * plugin would send it (no Grafana needed):
 * - PromQL, with $__interval and $__rate_interval expanded, on the stack's Prometheus while
 *   simulated traffic flows through the stack's gateway, curate, anomaly worker and maintenance
 *   (and a few undecodable messages give curate's dead-letter series): no error, and series;
 * - SQL, with variables and the plugin's macros expanded, on ClickHouse, in a database of this
 *   test holding 30 minutes of simulated history (rollups filled by the materialized views) and
 *   the anomaly worker's chart points and breaches for it (its stages run in memory, incidents
 *   included): the columns each panel, annotation and variable needs, and rows.
 */

const log = pino({ level: 'warn' });
const config = serviceConfig(loadEnv());
const datasources = loadDatasources();
const queries = loadDashboards().flatMap(({ dashboard }) => dashboardQueries(dashboard));
const RESOLUTION = 1000; // Grafana's maxDataPoints: a panel about 1000 pixels wide

// History: 70 events/s, every attempt creating an item, no daily cycle: enough latencies per
// 60-s window (2,000) for the p99 chart at any hour; baselines ready after 10 windows.
const HISTORY_MIN = 30;
const HISTORY_RATE = 70;
const MIN_BASELINE_WINDOWS = '10';
const INCIDENTS = ['latency-drift:magnitude=3@+12m/8m', 'error-storm@+21m/3m', 'seller-burst:rank=1@+25m/4m'];
const PARTITIONS = 6;
const RAW_SELLERS = 5;
const LIVE_RATE = 50;
const DEAD_LETTERS = 3;

let ch: ClickHouseClient;
let dashboardsDb: ClickHouseClient;
let db: string;
let prometheus: string;
let producer: Producer;
/** The busiest seller of the history, and its home country. */
let topSeller: { id: string; homeCountry: string };
const traffic = new AbortController();
/** When this test's live traffic and dead letters began, epoch seconds. */
let liveSince: number;
let deadLettersAt: number;
let simulation: Promise<SimulationSummary>;

/**
 * 30 minutes of simulated uploads up to now: the worker's charts of all of them into the chart
 * tables, and the events of the busiest sellers into upload_events (the rollups follow): all the
 * seller drill-down needs, at 30 % of the rows (writing rows is the slowest part of this test).
 */
async function writeHistory(nowMs: number): Promise<void> {
  const startMs = Math.floor(nowMs / 60_000) * 60_000 - HISTORY_MIN * 60_000;
  const start = BigInt(startMs) * 1_000_000n;
  const history = createTraffic({ seed: 23, start, rate: HISTORY_RATE, newItemShare: 1, diurnalAmplitude: 0, weekendFactor: 1, incidents: INCIDENTS.map((i) => parseIncident(i, start)) });
  topSeller = { id: history.sellers[0].companyId.toString(), homeCountry: history.sellers[0].homeCountry };
  const events = history.takeUntil(BigInt(nowMs) * 1_000_000n);

  const anomaly = serviceConfig(loadEnv({ ANOMALY_MIN_BASELINE_WINDOWS: MIN_BASELINE_WINDOWS })).anomaly;
  const closed = runInMemory(events, { partitions: PARTITIONS, ...monitorOptions(anomaly, PARTITIONS), delivery: 'interleaved' });
  const all: ClosedWindow = { start: startMs, points: closed.flatMap((w) => w.points), breaches: closed.flatMap((w) => w.breaches), dimensions: closed.flatMap((w) => w.dimensions), sellersTested: 0, top: [] };
  await insertChartRows(ch, db, chartRows(all, { stream: config.topics.uploadEvents, windowMs: anomaly.windowMs, writtenAt: Math.floor(nowMs / 1000) }));

  const busiest = new Set(history.sellers.slice(0, RAW_SELLERS).map((s) => s.companyId));
  const rows = events.filter((e) => busiest.has(e.data.company_id)).map((e) => curatedRow(curate(e)));
  await ch.command({ query: `INSERT INTO ${db}.upload_events FORMAT JSONEachRow\n${rows.join('\n')}`, clickhouse_settings: { insert_distributed_sync: 1 } });
}

beforeAll(async () => {
  const stack = await testStack();
  prometheus = stack.status.components.prometheus.url;
  const url = stack.status.components.clickhouse.http[0];
  ch = createClickHouse(url);
  db = await scratchDatabase(ch, stack, 'it_grafana');
  // The dashboards name tables without a database, as the datasource's defaultDatabase resolves them.
  dashboardsDb = createClickHouse(url, db);
  // Busy for seconds: done before the live traffic starts, whose keep-alive sockets would go stale meanwhile.
  await writeHistory(Date.now());

  // Live traffic through the stack's own services, which Prometheus scrapes.
  liveSince = Date.now() / 1000;
  const now = BigInt(Date.now()) * 1_000_000n;
  simulation = simulate({ traffic: createTraffic({ seed: 29, start: now, rate: LIVE_RATE }), sink: gatewaySink(stack.status.components.gateway.url, log), pace: 'realtime', batch: 25, signal: traffic.signal });
  simulation.catch(() => undefined); // awaited, and its failure reported, in afterAll
  // Undecodable values on the raw topic: curate dead-letters them, so its DLQ series exists.
  producer = createKafka('grafana-dashboards-test', stack.status.components.kafka.bootstrap.split(','), log).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  deadLettersAt = Date.now() / 1000;
  await producer.send({ topic: config.topics.uploadEvents, acks: -1, messages: Array.from({ length: DEAD_LETTERS }, (_, i) => ({ key: `grafana-dlq-${i}`, value: Buffer.from('not an Avro record') })) });
}, 120_000);

afterAll(async () => {
  traffic.abort();
  const outcome = await simulation?.then(
    (summary) => summary,
    (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
  );
  await producer?.disconnect();
  if (db) await dropDatabase(ch, db);
  await Promise.all([ch?.close(), dashboardsDb?.close()]);
  if (outcome instanceof Error) throw new Error(`the live traffic through the gateway failed: ${outcome.message}`);
  expect(outcome?.events).toBeGreaterThan(0);
});

// ---------------------------------------------------------------- Prometheus

interface PromSeries { metric: Record<string, string>; values: [number, string][] }
type PromAnswer = { status: 'success'; data: { result: PromSeries[] } } | { status: 'error'; error: string };

async function runPromQL(q: PromQuery): Promise<PromAnswer> {
  const params: Record<string, string> = q.instant ? { query: q.expr, time: String(q.end) } : { query: q.expr, start: String(q.start), end: String(q.end), step: String(q.step) };
  const res = await fetch(`${prometheus}/api/v1/${q.instant ? 'query' : 'query_range'}?${new URLSearchParams(params)}`);
  return (await res.json()) as PromAnswer;
}

/** Runs a PromQL target until it returns series (scrapes every 5 s, rates need two): an error ends the wait at once. */
async function promSeries(q: DashboardQuery): Promise<PromSeries[]> {
  const ds = datasourceOf(q, datasources);
  const answer = await eventually(
    `${q.label} to return series`,
    async () => {
      const a = await runPromQL(expandPrometheus(q, { range: dashboardRange(q.dashboard, Date.now()), variables: {}, maxDataPoints: RESOLUTION }, ds));
      return a.status === 'error' || a.data.result.length > 0 ? a : undefined;
    },
    45_000,
  );
  expect({ query: q.label, error: answer.status === 'error' ? answer.error : undefined }).toEqual({ query: q.label, error: undefined });
  return answer.status === 'success' ? answer.data.result : [];
}

const promQueries = queries.filter((q) => q.language === 'promql');

test.each(promQueries.map((q): [string, DashboardQuery] => [q.label, q]))('%s runs on Prometheus and returns series', async (_label, q) => {
  const series = await promSeries(q);
  expect(series.length).toBeGreaterThan(0);
  for (const s of series) expect({ series: s.metric, samples: s.values.length > 0 }).toEqual({ series: s.metric, samples: true });
});

test("this test's traffic shows: events produced to the raw topic per second, and dead letters by reason", async () => {
  const byLegend = (legend: string) => promQueries.find((q) => q.target && 'legendFormat' in q.target && q.target.legendFormat === legend)!;
  /** The series of a panel target with these labels, once it has a positive sample at or after `since`: from this test's doing. */
  const positiveSince = (legend: string, labels: Record<string, string>, since: number) =>
    eventually(
      `${legend} ${JSON.stringify(labels)} above 0 after ${new Date(since * 1000).toISOString()}`,
      async () => {
        const series = (await promSeries(byLegend(legend))).find((s) => Object.entries(labels).every(([k, v]) => s.metric[k] === v));
        return series?.values.some(([t, v]) => t >= since && Number(v) > 0) ? series : undefined;
      },
      45_000,
    );
  expect((await positiveSince('{{topic}}: produced by the gateway', { topic: config.topics.uploadEvents }, liveSince)).metric).toEqual({ topic: config.topics.uploadEvents });
  expect((await positiveSince('{{reason}}', { reason: 'bad-wire-format' }, deadLettersAt)).metric).toEqual({ reason: 'bad-wire-format' });
});

// ---------------------------------------------------------------- ClickHouse

interface ChAnswer { meta: { name: string; type: string }[]; data: Record<string, unknown>[] }

const NUMBER = /^(Nullable\()?(U?Int(8|16|32|64)|Float(32|64)|Decimal.*)\)?$/;
const ANNOTATION_COLUMNS = ['time', 'timeEnd', 'text', 'title', 'tags'];
const byNameOverrides = (p?: Panel): string[] => (p?.fieldConfig?.overrides ?? []).map((o) => o.matcher.options);

/**
 * What the panel, annotation or variable needs of the query's columns (name: ClickHouse type):
 * - time series: `time` (DateTime) first, every other column a number, rows in time order
 *   (the plugin turns long frames wide and refuses unsorted time);
 * - annotations: time (DateTime) and text (String), optionally timeEnd, title, tags, nothing else;
 * - variables: one column, the values;
 * - any panel: each column its field overrides style by name (limits drawn dashed, renames).
 */
function expectShape(q: DashboardQuery, answer: ChAnswer): void {
  const columns = Object.fromEntries(answer.meta.map((m) => [m.name, m.type]));
  const names = answer.meta.map((m) => m.name);
  const label = q.label;
  if (q.source === 'variable') expect({ label, columns: names.length }).toEqual({ label, columns: 1 });
  if (q.source === 'annotation') {
    expect({ label, time: columns.time, text: columns.text, timeEnd: columns.timeEnd ?? 'DateTime' }).toEqual({ label, time: 'DateTime', text: 'String', timeEnd: 'DateTime' });
    expect({ label, unexpected: names.filter((n) => !ANNOTATION_COLUMNS.includes(n)) }).toEqual({ label, unexpected: [] });
  }
  if (q.source === 'panel') {
    expect({ label, missing: byNameOverrides(q.panel).filter((n) => !(n in columns)) }).toEqual({ label, missing: [] });
    if (q.panel!.type === 'timeseries') {
      expect({ label, first: answer.meta[0], notNumbers: answer.meta.slice(1).filter((m) => !NUMBER.test(m.type)) }).toEqual({ label, first: { name: 'time', type: 'DateTime' }, notNumbers: [] });
      const times = answer.data.map((r) => String(r.time));
      expect({ label, sorted: times.every((t, i) => i === 0 || times[i - 1] <= t) }).toEqual({ label, sorted: true });
    }
  }
  expect({ label, rows: answer.data.length > 0 }).toEqual({ label, rows: true });
}

async function runSql(text: string): Promise<ChAnswer> {
  const answer = await (await dashboardsDb.query({ query: text, format: 'JSON' })).json<Record<string, unknown>>();
  return { meta: answer.meta ?? [], data: answer.data };
}

/** The dashboard's variables as Grafana resolves them on opening, against this test's database. */
const variablesOf = (q: DashboardQuery) =>
  resolveVariables(dashboardQueries(q.dashboard), dashboardRange(q.dashboard, Date.now()), async (v, text) => {
    const answer = await runSql(text);
    expectShape(v, answer);
    return answer.data.map((row) => String(Object.values(row)[0]));
  });

const sqlQueries = queries.filter((q) => q.language === 'sql');

test.each(sqlQueries.map((q): [string, DashboardQuery] => [q.label, q]))('%s runs on ClickHouse and returns the columns it needs', async (_label, q) => {
  // A variable query only sees the variables before it; the later ones are there but unused.
  const context: ExpandContext = { range: dashboardRange(q.dashboard, Date.now()), variables: await variablesOf(q), maxDataPoints: RESOLUTION };
  expectShape(q, await runSql(expandClickHouse(q, context)));
});

test("the seller drill-down opens on the busiest seller, and its panels have data for one country too (the seller's home)", async () => {
  const seller = sqlQueries.filter((q) => q.dashboard.uid === 'upload-pulse-seller');
  const variables = await variablesOf(seller[0]);
  expect(variables.seller.value).toBe(topSeller.id);
  expect(variables.country.value).toEqual([ALL]);
  expect(variables.country.options).toContain(topSeller.homeCountry);
  const narrowed: Record<string, VariableState> = { ...variables, country: { value: [topSeller.homeCountry], options: variables.country.options } };
  for (const q of seller.filter((x) => x.source === 'panel')) expectShape(q, await runSql(expandClickHouse(q, { range: dashboardRange(q.dashboard, Date.now()), variables: narrowed, maxDataPoints: RESOLUTION })));
});
