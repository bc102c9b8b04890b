import fs from 'node:fs';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import type { Producer } from 'kafkajs';
import { registerValueSchema } from '../../producers/schema-registry';
import { avroOptions } from '../../schemas/upload-event';
import { breachId, type Breach } from './breaches';
import type { DimensionWindow } from './dimension-charts';
import type { ClosedWindow } from './global-monitor';

/**
 * Where a closed window goes: breaches as Avro records on the anomalies topic (Confluent wire
 * format), and windows, points and breaches into ClickHouse. Both writes are idempotent (a breach
 * keeps its id, tables replace by window), so a window written twice after a failover is harmless.
 */

export const ANOMALY_SCHEMA_FILE = path.join(__dirname, '../../schemas/upload-anomaly.v1.avsc');
const anomalySchema = (): avro.Schema => JSON.parse(fs.readFileSync(ANOMALY_SCHEMA_FILE, 'utf8'));

export interface ChartOutputs {
  write(w: ClosedWindow): Promise<void>;
}

const seconds = (ms: number): number => Math.floor(ms / 1000);
const finiteOrNull = (x: number | undefined): number | null => (x !== undefined && Number.isFinite(x) ? x : null);

/** The rows one charted window adds to ClickHouse's chart tables (versions explicit: see below). */
export interface ChartRows {
  chart_windows: object[];
  chart_points: object[];
  anomalies: object[];
}

export const CHART_TABLES = ['chart_windows', 'chart_points', 'anomalies'] as const;

/**
 * A window's rows for chart_windows, chart_points and anomalies, stamped `writtenAt` (epoch s).
 * Versions of the Replacing tables are sent explicitly: ClickHouse 18.16's JSONEachRow fills an
 * omitted column with its type's zero, not its DEFAULT, and every write would tie at 1970.
 */
export function chartRows(w: ClosedWindow, o: { stream: string; windowMs: number; writtenAt: number }): ChartRows {
  const { stream, writtenAt } = o;
  const windowRow = (d: DimensionWindow) => ({
    stream,
    written_at: writtenAt,
    dimension: d.dimension,
    window_start: seconds(d.start),
    window_seconds: seconds(o.windowMs),
    events: d.events,
    attempts: d.attempts,
    failures: d.failures,
    latency_count: d.latencyCount,
    latency_sum: d.latencySum,
    latency_sumsq: d.latencySumSq,
    latency_p95: finiteOrNull(d.p95),
    latency_p99: finiteOrNull(d.p99),
    in_control: d.inControl ? 1 : 0,
  });
  return {
    chart_windows: w.dimensions.map(windowRow),
    chart_points: w.points.map((p) => ({
      stream,
      written_at: writtenAt,
      chart: p.chart,
      dimension: p.dimension,
      window_start: seconds(p.windowStart),
      value: p.value,
      n: p.n,
      center: finiteOrNull(p.limits?.center),
      ucl: finiteOrNull(p.limits?.ucl),
      lcl: finiteOrNull(p.limits?.lcl),
      sigma: finiteOrNull(p.limits?.sigma),
      rules: p.rules,
    })),
    anomalies: w.breaches.map((b) => ({
      stream,
      anomaly_id: breachId(b),
      chart: b.chart,
      dimension: b.dimension,
      window_start: seconds(b.windowStart),
      window_end: seconds(b.windowEnd),
      value: b.value,
      center: b.center,
      ucl: b.ucl,
      lcl: b.lcl,
      p_value: finiteOrNull(b.pValue),
      rule: b.rule,
      severity: b.severity,
      detected_at: writtenAt,
    })),
  };
}

/**
 * Inserts chart rows synchronously through the Distributed tables: the caller moves on (commits
 * past a window) only once its rows are on their shards, not just queued on the server it talked to.
 */
export async function insertChartRows(clickhouse: ClickHouseClient, database: string, rows: ChartRows, settings: { insert_deduplicate?: 0 | 1 } = {}): Promise<void> {
  for (const table of CHART_TABLES) {
    const values = rows[table];
    if (values.length > 0) await clickhouse.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow', clickhouse_settings: { insert_distributed_sync: 1, ...settings } });
  }
}

export async function createChartOutputs(opts: { registry: SchemaRegistry; producer: Producer; topic: string; clickhouse: ClickHouseClient; database: string; windowMs: number; stream: string }): Promise<ChartOutputs> {
  const id = await registerValueSchema(opts.registry, opts.topic, anomalySchema());
  const type = avro.Type.forSchema(anomalySchema(), { ...avroOptions });
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);

  const record = (b: Breach, detectedAt: number) => ({
    id: breachId(b),
    chart: b.chart,
    dimension: b.dimension,
    window_start: BigInt(b.windowStart),
    window_end: BigInt(b.windowEnd),
    value: b.value,
    center: b.center,
    ucl: b.ucl,
    lcl: b.lcl,
    p_value: b.pValue ?? null,
    rule: b.rule,
    severity: b.severity,
    detected_at: BigInt(detectedAt),
  });

  return {
    async write(w) {
      const detectedAt = Date.now();
      if (w.breaches.length > 0) {
        await opts.producer.send({
          topic: opts.topic,
          acks: -1,
          messages: w.breaches.map((b) => ({ key: b.dimension, value: Buffer.concat([header, type.toBuffer(record(b, detectedAt))]), timestamp: String(b.windowEnd) })),
        });
      }
      await insertChartRows(opts.clickhouse, opts.database, chartRows(w, { stream: opts.stream, windowMs: opts.windowMs, writtenAt: seconds(detectedAt) }));
    },
  };
}
