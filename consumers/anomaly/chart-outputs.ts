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

export async function createChartOutputs(opts: { registry: SchemaRegistry; producer: Producer; topic: string; clickhouse: ClickHouseClient; database: string; windowMs: number; stream: string }): Promise<ChartOutputs> {
  const id = await registerValueSchema(opts.registry, opts.topic, anomalySchema());
  const type = avro.Type.forSchema(anomalySchema(), { ...avroOptions });
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  const db = opts.database;
  const windowSeconds = seconds(opts.windowMs);

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

  // Versions of the Replacing tables, sent explicitly: ClickHouse 18.16's JSONEachRow fills an
  // omitted column with its type's zero, not its DEFAULT, and every write would tie at 1970.
  const windowRow = (w: DimensionWindow, writtenAt: number) => ({
    stream: opts.stream,
    written_at: writtenAt,
    dimension: w.dimension,
    window_start: seconds(w.start),
    window_seconds: windowSeconds,
    events: w.events,
    attempts: w.attempts,
    failures: w.failures,
    latency_count: w.latencyCount,
    latency_sum: w.latencySum,
    latency_sumsq: w.latencySumSq,
    latency_p95: finiteOrNull(w.p95),
    latency_p99: finiteOrNull(w.p99),
    in_control: w.inControl ? 1 : 0,
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
      // Synchronous through the Distributed table: the leader commits past a window only once its
      // rows are on their shards, not just queued on the server it talked to.
      const insert = (table: string, values: object[]) =>
        values.length > 0 ? opts.clickhouse.insert({ table: `${db}.${table}`, values, format: 'JSONEachRow', clickhouse_settings: { insert_distributed_sync: 1 } }) : Promise.resolve();
      await insert(
        'chart_windows',
        w.dimensions.map((d) => windowRow(d, seconds(detectedAt))),
      );
      await insert(
        'chart_points',
        w.points.map((p) => ({
          stream: opts.stream,
          written_at: seconds(detectedAt),
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
      );
      await insert(
        'anomalies',
        w.breaches.map((b) => ({
          stream: opts.stream,
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
          detected_at: seconds(detectedAt),
        })),
      );
    },
  };
}
