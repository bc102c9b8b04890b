import fs from 'node:fs';
import path from 'node:path';
import type pino from 'pino';
import { createClickHouse } from '../lib/clickhouse';
import { loadEnv, serviceConfig, type StackConfig, type TopologyName } from '../lib/config';
import { migrationContext } from '../clickhouse-ddl/cli';
import { migrate } from '../clickhouse-ddl/migrate';
import { CLICKHOUSE_CLUSTER, clickhouseProcesses } from './components/clickhouse';
import { kafkaProcesses } from './components/kafka';
import { alertmanagerProcesses, prometheusProcesses } from './components/monitoring';
import { registryProcesses, registryUrl } from './components/registry';
import { anomalyProcesses, apiProcesses, apiUrl, curateProcesses, gatewayProcesses, gatewayUrl, livePageUrl, maintenanceProcesses } from './components/services';
import { zookeeperProcesses } from './components/zookeeper';
import { installStack } from './install';
import { bootstrapServers, ingestServers, layoutFor, zookeeperConnect, type StackLayout } from './layout';
import { isHealthy, runningPid, StackError, startProcess, stopProcess, waitHealthy, type ProcessSpec } from './processes';

/** Brings the whole local stack up, reports on it and takes it down. */

/** Start order: each group needs the ones before it (ClickHouse needs ZooKeeper, the registry needs Kafka, services need all). */
export function startGroups(layout: StackLayout): ProcessSpec[][] {
  return [
    [...zookeeperProcesses(layout), ...kafkaProcesses(layout)],
    [...clickhouseProcesses(layout), ...registryProcesses(layout), ...alertmanagerProcesses(layout), ...prometheusProcesses(layout)],
    [...gatewayProcesses(layout), ...curateProcesses(layout), ...apiProcesses(layout), ...maintenanceProcesses(layout), ...anomalyProcesses(layout)],
  ];
}

/** Index of the project's services in startGroups: the schema is migrated before they start. */
const SERVICES_GROUP = 2;

async function migrateSchema(layout: StackLayout, log: pino.Logger): Promise<void> {
  const client = createClickHouse(`http://127.0.0.1:${layout.clickhouse[0].httpPort}`);
  try {
    const config = { ...serviceConfig(loadEnv()), kafkaBrokers: bootstrapServers(layout).split(',') };
    const { applied } = await migrate(client, migrationContext(config), log);
    log.info({ applied }, 'ClickHouse schema up to date');
  } finally {
    await client.close();
  }
}

const activeFile = (config: StackConfig) => path.join(config.dir, 'active-topology');

/** The topology that `up` last started and `down` has not stopped, if any. */
export function activeTopology(config: StackConfig): TopologyName | undefined {
  try {
    const t = fs.readFileSync(activeFile(config), 'utf8').trim();
    return t === 'single' || t === 'cluster' ? t : undefined;
  } catch {
    return undefined;
  }
}

export async function stackUp(config: StackConfig, log: pino.Logger): Promise<StackStatus> {
  const active = activeTopology(config);
  if (active && active !== config.topology) {
    const other = layoutFor({ ...config, topology: active });
    if (startGroups(other).flat().some((p) => runningPid(p) !== undefined)) {
      throw new StackError(`the ${active} topology is running; stop it first with 'npm run stack:down' (both use the same ports)`);
    }
  }
  await installStack(config, log);
  const layout = layoutFor(config);
  fs.writeFileSync(activeFile(config), config.topology);
  for (const [i, group] of startGroups(layout).entries()) {
    if (i === SERVICES_GROUP) await migrateSchema(layout, log);
    const results = await Promise.allSettled(
      group.map(async (spec) => {
        const state = await startProcess(spec);
        log.info({ instance: spec.name, state }, state === 'started' ? 'starting' : 'already running');
        await waitHealthy(spec, config.startTimeoutMs);
        log.info({ instance: spec.name }, 'healthy');
      }),
    );
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : []));
    if (failures.length > 0) throw new StackError(failures.join('\n\n'));
  }
  return stackStatus(config);
}

export async function stackDown(config: StackConfig, log: pino.Logger, opts: { purge?: boolean } = {}): Promise<void> {
  const layout = layoutFor(config);
  for (const group of [...startGroups(layout)].reverse()) {
    await Promise.all(
      group.map(async (spec) => {
        const state = await stopProcess(spec);
        log.info({ instance: spec.name, state }, state);
      }),
    );
  }
  if (activeTopology(config) === config.topology) fs.rmSync(activeFile(config), { force: true });
  if (opts.purge) {
    const dataDir = path.join(config.dir, config.topology);
    fs.rmSync(dataDir, { recursive: true, force: true });
    log.info({ dir: dataDir }, 'purged data and logs');
  }
}

export interface InstanceStatus { name: string; pid: number | null; healthy: boolean; endpoints: Record<string, string>; log: string }
export interface ComponentStatus { healthy: boolean; instances: InstanceStatus[] }
/** The shape of `stack:status --json`: a stable interface for scripts and tests. */
export interface StackStatus {
  topology: TopologyName;
  components: {
    kafka: ComponentStatus & { bootstrap: string };
    schemaRegistry: ComponentStatus & { url: string };
    /** http and native: the shard servers, where queries go; ingestHttp: the servers consuming the curated topic. */
    clickhouse: ComponentStatus & { http: string[]; native: string[]; ingestHttp: string[]; cluster: string };
    zookeeper: ComponentStatus & { connect: string };
    prometheus: ComponentStatus & { url: string };
    alertmanager: ComponentStatus & { url: string };
    gateway: ComponentStatus & { url: string };
    api: ComponentStatus & { url: string; livePage: string };
    maintenance: ComponentStatus & { metrics: string };
    curate: ComponentStatus & { metrics: string };
    anomaly: ComponentStatus & { metrics: string };
  };
}

export async function stackStatus(config: StackConfig): Promise<StackStatus> {
  const layout = layoutFor(config);
  const specs = startGroups(layout).flat();
  const instances = await Promise.all(
    specs.map(async (spec) => ({
      component: spec.component,
      status: {
        name: spec.name,
        pid: runningPid(spec) ?? null,
        healthy: await isHealthy(spec),
        endpoints: spec.endpoints,
        log: spec.paths.logFile,
      } satisfies InstanceStatus,
    })),
  );
  const of = (component: string) => {
    const list = instances.filter((i) => i.component === component).map((i) => i.status);
    return { healthy: list.every((i) => i.healthy), instances: list };
  };
  return {
    topology: layout.topology,
    components: {
      kafka: { bootstrap: bootstrapServers(layout), ...of('kafka') },
      schemaRegistry: { url: registryUrl(layout), ...of('schemaRegistry') },
      clickhouse: {
        http: layout.clickhouse.map((c) => `http://127.0.0.1:${c.httpPort}`),
        native: layout.clickhouse.map((c) => `127.0.0.1:${c.tcpPort}`),
        ingestHttp: ingestServers(layout).map((c) => `http://127.0.0.1:${c.httpPort}`),
        cluster: CLICKHOUSE_CLUSTER,
        ...of('clickhouse'),
      },
      zookeeper: { connect: zookeeperConnect(layout), ...of('zookeeper') },
      prometheus: { url: `http://127.0.0.1:${layout.prometheus.port}`, ...of('prometheus') },
      alertmanager: { url: `http://127.0.0.1:${layout.alertmanager.port}`, ...of('alertmanager') },
      gateway: { url: gatewayUrl(layout), ...of('gateway') },
      api: { url: apiUrl(layout), livePage: livePageUrl(layout), ...of('api') },
      maintenance: { metrics: `http://127.0.0.1:${layout.maintenance.port}/metrics`, ...of('maintenance') },
      curate: { metrics: `http://127.0.0.1:${layout.curate.port}/metrics`, ...of('curate') },
      anomaly: { metrics: `http://127.0.0.1:${layout.anomaly.port}/metrics`, ...of('anomaly-worker') },
    },
  };
}
