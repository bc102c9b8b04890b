import path from 'node:path';
import { loadEnv, stackConfig, type StackConfig, type TopologyName } from '../lib/config';

/** Where every instance of every component listens and keeps its files, per topology. */

export interface KafkaBroker { id: number; name: string; port: number; controllerPort: number }
export interface ZkNode { id: number; name: string; port: number; peerPort: number; electionPort: number }
export interface ClickHouseServer {
  id: number;
  name: string;
  /** Its file in server-config/clickhouse/: ports and macros. */
  configFile: string;
  httpPort: number;
  tcpPort: number;
  interserverPort: number;
}
export interface ClickHouseNode extends ClickHouseServer { shard: number; replica: number }

export interface StackLayout {
  config: StackConfig;
  topology: TopologyName;
  kafka: KafkaBroker[];
  zookeeper: ZkNode[];
  /** Servers holding shards. */
  clickhouse: ClickHouseNode[];
  /**
   * Cluster topology only: servers that hold no shard and only run the Kafka engine, so every row
   * they ingest goes through the Distributed table's on-disk queue (see ingestServers).
   */
  clickhouseIngest: ClickHouseServer[];
  registry: { name: string; port: number };
  prometheus: { name: string; port: number };
  alertmanager: { name: string; port: number };
  gateway: { name: string; port: number };
  api: { name: string; port: number };
  maintenance: { name: string; port: number };
  curate: { name: string; port: number };
  anomaly: { name: string; port: number };
}

const SIZES: Record<TopologyName, { kafka: number; zookeeper: number; clickhouseShards: number; replicas: number; clickhouseIngest: number }> = {
  single: { kafka: 1, zookeeper: 1, clickhouseShards: 1, replicas: 1, clickhouseIngest: 0 },
  cluster: { kafka: 3, zookeeper: 3, clickhouseShards: 2, replicas: 2, clickhouseIngest: 2 },
};

/** Kafka brokers step by 100 so broker N's port stays readable (9092, 9192, 9292). */
const KAFKA_PORT_STEP = 100;

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

const clickhousePorts = (config: StackConfig, i: number) => ({
  httpPort: config.clickhouse.httpPort + i,
  tcpPort: config.clickhouse.tcpPort + i,
  interserverPort: config.clickhouse.interserverPort + i,
});

export function layoutFor(config: StackConfig): StackLayout {
  const size = SIZES[config.topology];
  const chNodes = size.clickhouseShards * size.replicas;
  return {
    config,
    topology: config.topology,
    kafka: range(size.kafka).map((i) => ({
      id: i + 1,
      name: `kafka-${i + 1}`,
      port: config.kafka.port + i * KAFKA_PORT_STEP,
      controllerPort: config.kafka.controllerPort + i * KAFKA_PORT_STEP,
    })),
    zookeeper: range(size.zookeeper).map((i) => ({
      id: i + 1,
      name: `zookeeper-${i + 1}`,
      port: config.zookeeper.port + i,
      peerPort: config.zookeeper.peerPort + i,
      electionPort: config.zookeeper.electionPort + i,
    })),
    clickhouse: range(chNodes).map((i) => ({
      ...clickhousePorts(config, i),
      id: i + 1,
      name: `clickhouse-${i + 1}`,
      configFile: `node-${i + 1}.xml`,
      shard: Math.floor(i / size.replicas) + 1,
      replica: (i % size.replicas) + 1,
    })),
    // Their ports follow the shard servers' (9004 and 9005 after 9000-9003).
    clickhouseIngest: range(size.clickhouseIngest).map((i) => ({
      ...clickhousePorts(config, chNodes + i),
      id: i + 1,
      name: `clickhouse-ingest-${i + 1}`,
      configFile: `ingest-${i + 1}.xml`,
    })),
    registry: { name: 'schema-registry', port: config.schemaRegistry.port },
    prometheus: { name: 'prometheus', port: config.prometheus.port },
    alertmanager: { name: 'alertmanager', port: config.alertmanager.port },
    gateway: { name: 'gateway', port: config.gateway.port },
    api: { name: 'api', port: config.api.port },
    maintenance: { name: 'maintenance', port: config.maintenance.port },
    curate: { name: 'curate', port: config.curate.port },
    anomaly: { name: 'anomaly-worker', port: config.anomaly.port },
  };
}

export function allPorts(layout: StackLayout): number[] {
  return [
    ...layout.kafka.flatMap((b) => [b.port, b.controllerPort]),
    ...layout.zookeeper.flatMap((z) => [z.port, z.peerPort, z.electionPort]),
    ...[...layout.clickhouse, ...layout.clickhouseIngest].flatMap((c) => [c.httpPort, c.tcpPort, c.interserverPort]),
    layout.registry.port,
    layout.prometheus.port,
    layout.alertmanager.port,
    layout.gateway.port,
    layout.api.port,
    layout.maintenance.port,
    layout.curate.port,
    layout.anomaly.port,
  ];
}

/**
 * The shared server-config files (also mounted by compose/) are written with the
 * default ports. When an operator overrides ports, this maps each default port to
 * the configured one so the local stack can render its copies.
 */
export function portOverrides(layout: StackLayout): Map<number, number> {
  const defaults = allPorts(layoutFor(stackConfig(loadEnv({}), { topology: layout.topology })));
  const actual = allPorts(layout);
  const map = new Map<number, number>();
  defaults.forEach((p, i) => {
    if (p !== actual[i]) map.set(p, actual[i]);
  });
  return map;
}

/**
 * The servers whose Kafka engine consumes the curated topic (cluster ingest_cluster in
 * topology-*.xml): the dedicated ingest servers, or the one server of the single topology.
 */
export const ingestServers = (layout: StackLayout): ClickHouseServer[] =>
  layout.clickhouseIngest.length > 0 ? layout.clickhouseIngest : layout.clickhouse;

export const bootstrapServers = (layout: StackLayout): string =>
  layout.kafka.map((b) => `127.0.0.1:${b.port}`).join(',');

export const zookeeperConnect = (layout: StackLayout): string =>
  layout.zookeeper.map((z) => `127.0.0.1:${z.port}`).join(',');

export interface InstancePaths { root: string; data: string; logs: string; logFile: string; pidFile: string; conf: string }

export function instancePaths(layout: StackLayout, instance: string): InstancePaths {
  const root = path.join(layout.config.dir, layout.topology, instance);
  return {
    root,
    data: path.join(root, 'data'),
    logs: path.join(root, 'logs'),
    logFile: path.join(root, 'logs', `${instance}.log`),
    pidFile: path.join(root, 'pid.json'),
    conf: path.join(root, 'conf'),
  };
}

export const distDir = (config: StackConfig, what: 'kafka' | 'apicurio'): string =>
  path.join(config.dir, 'dist', `${what}-${config.versions[what]}`);
