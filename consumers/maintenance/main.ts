import http from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { applyRetention } from '../../clickhouse-ddl/retention';
import { loadEnv, serviceConfig } from '../../lib/config';
import { createKafka } from '../../lib/kafka';
import { joinLeadership } from '../../lib/leadership';
import { createLogger } from '../../lib/logger';
import { registerService } from '../../lib/service-registry';
import { onShutdown } from '../../lib/shutdown';
import { createClickHouse } from '../../lib/clickhouse';
import { CLUSTER } from '../../clickhouse-ddl/migrate';
import { lagProbe, pipelineLagTargets } from './lag-probe';
import { reconcileRollups, reconcileWindow } from './rollup-reconcile';
import { startProbes } from './probe-loop';
import { storageProbe } from './storage-probe';

/**
 * The maintenance worker: `npm run maintenance`. Any number may run; the one holding the
 * rebalance-based leadership applies retention at election and then every RETENTION_INTERVAL_S,
 * and reconciles recent hours of the rollups with the raw table every ROLLUP_RECONCILE_INTERVAL_S.
 * Every instance, leader or not, exports storage and consumer-lag probes every
 * MAINTENANCE_PROBE_INTERVAL_S: they are cheap, and alerts take the max over instances.
 */

async function main(): Promise<void> {
  const config = serviceConfig(loadEnv());
  const log = createLogger('maintenance');
  const clickhouse = createClickHouse(config.clickhouse.url);
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const isLeader = new Gauge({ name: 'upload_pulse_maintenance_leader', help: '1 while this instance holds the maintenance leadership', registers: [metrics] });
  const dropped = new Counter({ name: 'upload_pulse_retention_dropped_partitions_total', help: 'Partitions dropped by retention', labelNames: ['table'], registers: [metrics] });
  const lastRun = new Gauge({ name: 'upload_pulse_retention_last_success_timestamp_seconds', help: 'When retention last completed', registers: [metrics] });
  const repairedHours = new Counter({ name: 'upload_pulse_rollup_repaired_hours_total', help: 'Hours of the rollups rebuilt because they differed from the deduplicated raw table', registers: [metrics] });
  const lastReconcile = new Gauge({ name: 'upload_pulse_rollup_reconcile_last_success_timestamp_seconds', help: 'When the rollups were last compared with the raw table', registers: [metrics] });

  const probeKafka = createKafka('upload-pulse-maintenance-probes', config.kafkaBrokers, log);
  const probeAdmin = probeKafka.admin();
  const probes = startProbes({
    intervalMs: config.maintenance.probeIntervalMs,
    registry: metrics,
    log,
    probes: [
      storageProbe({ clickhouse, database: config.clickhouse.database, cluster: CLUSTER, registry: metrics }),
      lagProbe({
        admin: probeAdmin,
        registry: metrics,
        targets: pipelineLagTargets(config),
      }),
    ],
  });

  let timers: NodeJS.Timeout[] = [];
  const runRetention = async () => {
    try {
      const result = await applyRetention(clickhouse, config.clickhouse.database, new Date(), log);
      for (const [table, partitions] of Object.entries(result)) dropped.inc({ table }, partitions.length);
      lastRun.setToCurrentTime();
    } catch (err) {
      log.error({ err }, 'retention failed; retrying at the next interval');
    }
  };
  const { reconcile } = config.maintenance;
  let reconciling = false; // a pass waiting for slow mutations is not started twice
  const runReconcile = async () => {
    if (reconciling) return;
    reconciling = true;
    try {
      const window = reconcileWindow(new Date(), reconcile.lookbackHours, reconcile.settleMs);
      repairedHours.inc((await reconcileRollups({ ch: clickhouse, db: config.clickhouse.database, window, log })).length);
      lastReconcile.setToCurrentTime();
    } catch (err) {
      log.error({ err }, 'rollup reconciliation failed; retrying at the next interval');
    } finally {
      reconciling = false;
    }
  };
  const leadership = await joinLeadership({
    kafka: createKafka('upload-pulse-maintenance', config.kafkaBrokers, log),
    name: 'upload-pulse-maintenance',
    log,
    onElected: async () => {
      isLeader.set(1);
      await runRetention();
      timers.push(setInterval(() => void runRetention(), config.maintenance.retentionIntervalMs));
      if (reconcile.intervalMs > 0) timers.push(setInterval(() => void runReconcile(), reconcile.intervalMs));
    },
    onRevoked: () => {
      isLeader.set(0);
      timers.forEach(clearInterval);
      timers = [];
    },
  });

  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    void metrics.metrics().then((text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text));
  });
  await new Promise<void>((resolve) => server.listen(config.maintenance.port, config.host, resolve));
  const discovery = registerService({ connect: config.zookeeperConnect, service: 'maintenance', host: config.host, port: config.maintenance.port, log });

  onShutdown(log, async () => {
    await discovery.close();
    await leadership.stop();
    await probes.stop();
    await probeAdmin.disconnect();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await clickhouse.close();
  });
}

main().catch((err: unknown) => {
  createLogger('maintenance').fatal({ err }, 'maintenance worker failed to start');
  process.exit(1);
});
