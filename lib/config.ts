import path from 'node:path';
import { z } from 'zod';

/**
 * The one typed place for configuration. Every value comes from an environment
 * variable with a documented default (see README, "Configuration").
 * Parsing fails fast with a message naming the variable and the accepted values.
 */

const port = z.coerce.number().int().min(1).max(65535);

const envSchema = z.object({
  STACK_TOPOLOGY: z.enum(['single', 'cluster']).default('single'),
  STACK_DIR: z.string().min(1).optional(),
  KAFKA_VERSION: z.string().default('4.1.1'),
  APICURIO_VERSION: z.string().default('3.0.9'),
  KAFKA_PORT: port.default(9092),
  KAFKA_CONTROLLER_PORT: port.default(19092),
  KAFKA_HEAP: z.string().default('512m'),
  SCHEMA_REGISTRY_PORT: port.default(8081),
  CLICKHOUSE_HTTP_PORT: port.default(8123),
  CLICKHOUSE_TCP_PORT: port.default(9000),
  CLICKHOUSE_INTERSERVER_PORT: port.default(9009),
  ZOOKEEPER_PORT: port.default(2181),
  ZOOKEEPER_PEER_PORT: port.default(2888),
  ZOOKEEPER_ELECTION_PORT: port.default(3888),
  PROMETHEUS_PORT: port.default(9090),
  ALERTMANAGER_PORT: port.default(9093),
  STACK_START_TIMEOUT_S: z.coerce.number().positive().default(180),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
});

export type Env = z.infer<typeof envSchema>;
export type TopologyName = Env['STACK_TOPOLOGY'];

export const REPO_ROOT = path.resolve(__dirname, '..');

export class ConfigError extends Error {}

export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid environment: ${lines.join('; ')} (see README, "Configuration")`);
  }
  return parsed.data;
}

export interface StackConfig {
  topology: TopologyName;
  /** Root of everything the local stack writes: downloads, data, logs, pid files. */
  dir: string;
  versions: { kafka: string; apicurio: string };
  kafka: { port: number; controllerPort: number; heap: string };
  schemaRegistry: { port: number };
  clickhouse: { httpPort: number; tcpPort: number; interserverPort: number };
  zookeeper: { port: number; peerPort: number; electionPort: number };
  prometheus: { port: number };
  alertmanager: { port: number };
  startTimeoutMs: number;
}

export function stackConfig(env: Env = loadEnv(), overrides: { topology?: TopologyName } = {}): StackConfig {
  return {
    topology: overrides.topology ?? env.STACK_TOPOLOGY,
    dir: path.resolve(env.STACK_DIR ?? path.join(REPO_ROOT, '.stack')),
    versions: { kafka: env.KAFKA_VERSION, apicurio: env.APICURIO_VERSION },
    kafka: { port: env.KAFKA_PORT, controllerPort: env.KAFKA_CONTROLLER_PORT, heap: env.KAFKA_HEAP },
    schemaRegistry: { port: env.SCHEMA_REGISTRY_PORT },
    clickhouse: {
      httpPort: env.CLICKHOUSE_HTTP_PORT,
      tcpPort: env.CLICKHOUSE_TCP_PORT,
      interserverPort: env.CLICKHOUSE_INTERSERVER_PORT,
    },
    zookeeper: {
      port: env.ZOOKEEPER_PORT,
      peerPort: env.ZOOKEEPER_PEER_PORT,
      electionPort: env.ZOOKEEPER_ELECTION_PORT,
    },
    prometheus: { port: env.PROMETHEUS_PORT },
    alertmanager: { port: env.ALERTMANAGER_PORT },
    startTimeoutMs: env.STACK_START_TIMEOUT_S * 1000,
  };
}
