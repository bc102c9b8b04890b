import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/**
 * The one typed place for configuration. Every value comes from an environment
 * variable with a documented default (see README, "Configuration").
 * Parsing fails fast with a message naming the variable and the accepted values.
 */

const port = z.coerce.number().int().min(1).max(65535);
const EMAIL = /^[^\s@,]+@[^\s@,]+$/;
const EMAILS = /^[^\s@,]+@[^\s@,]+(,\s*[^\s@,]+@[^\s@,]+)*$/;

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
  KAFKA_BROKERS: z.string().optional(),
  SCHEMA_REGISTRY_URL: z.string().url().optional(),
  UPLOAD_EVENTS_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/).default('seller.upload-events.v1'),
  TOPIC_PARTITIONS: z.coerce.number().int().min(1).default(12),
  TOPIC_RETENTION_HOURS: z.coerce.number().positive().default(168),
  CURATED_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/).default('seller.upload-events.curated.v1'),
  DLQ_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/).default('seller.upload-events.dlq.v1'),
  CURATE_GROUP: z.string().min(1).default('upload-pulse-curate'),
  CURATE_DEDUP_WINDOW_S: z.coerce.number().int().min(0).default(3600),
  CURATE_DEDUP_MAX_KEYS: z.coerce.number().int().min(1).default(1_000_000),
  CURATE_METRICS_PORT: port.default(9464),
  CURATE_FETCH_MIN_BYTES: z.coerce.number().int().min(1).default(65_536),
  CURATE_FETCH_MAX_WAIT_MS: z.coerce.number().int().min(10).max(5000).default(250),
  CLICKHOUSE_URL: z.string().url().optional(),
  CLICKHOUSE_DB: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a plain identifier').default('upload_pulse'),
  CLICKHOUSE_INGEST_GROUP: z.string().min(1).default('clickhouse-ingest'),
  API_PORT: port.default(8090),
  API_LIVE_POLL_MS: z.coerce.number().int().min(100).default(1000),
  API_LIVE_MAX_STREAMS: z.coerce.number().int().min(1).default(50),
  ANOMALY_GROUP: z.string().min(1).default('upload-pulse-anomaly'),
  ANOMALY_PARTIALS_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/).default('upload-pulse.anomaly-partials.v1'),
  ANOMALIES_TOPIC: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/).default('seller.upload-anomalies.v1'),
  ANOMALY_METRICS_PORT: port.default(9466),
  ANOMALY_WINDOW_S: z.coerce.number().int().min(1).default(60),
  ANOMALY_LATENESS_S: z.coerce.number().min(0).default(10),
  ANOMALY_IDLE_S: z.coerce.number().positive().default(10),
  ANOMALY_MAX_PENDING_WINDOWS: z.coerce.number().int().positive().default(1440),
  ANOMALY_MIN_BASELINE_WINDOWS: z.coerce.number().int().min(2).default(30),
  ANOMALY_EWMA_LAMBDA: z.coerce.number().gt(0).max(1).optional(),
  ANOMALY_EWMA_L: z.coerce.number().positive().optional(),
  ANOMALY_SELLER_FDR: z.coerce.number().gt(0).lt(1).default(0.001),
  ANOMALY_SHRINKAGE_EVENTS: z.coerce.number().min(0).default(200),
  ANOMALY_SELLER_FORGET_H: z.coerce.number().positive().default(168),
  ANOMALY_SELLER_HISTORY: z.enum(['rollups', 'none']).default('rollups'),
  ANOMALY_TOP_SELLERS: z.coerce.number().int().min(0).default(20),
  MAINTENANCE_PORT: port.default(9465),
  RETENTION_INTERVAL_S: z.coerce.number().int().min(1).default(3600),
  MAINTENANCE_PROBE_INTERVAL_S: z.coerce.number().positive().default(15),
  ROLLUP_RECONCILE_INTERVAL_S: z.coerce.number().int().min(0).default(900),
  ROLLUP_RECONCILE_LOOKBACK_H: z.coerce.number().int().min(1).default(6),
  ROLLUP_RECONCILE_SETTLE_S: z.coerce.number().int().min(0).default(300),
  REPLAY_STATE_DIR: z.string().min(1).optional(),
  REPLAY_INSERT_ROWS: z.coerce.number().int().min(1).default(50_000),
  REPLAY_FETCH_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  REPLAY_ROLLUP_CHUNK_ROWS: z.coerce.number().int().min(1).default(5_000_000),
  REPLAY_PROGRESS_INTERVAL_S: z.coerce.number().positive().default(5),
  ALERT_SLACK_WEBHOOK_URL: z.string().url().default('http://127.0.0.1:9097/slack'),
  ALERT_SMTP_SMARTHOST: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port').default('127.0.0.1:2525'),
  ALERT_EMAIL_FROM: z.string().regex(EMAIL, 'an email address').default('oncall@upload-pulse.local'),
  ALERT_EMAIL_TO: z.string().regex(EMAILS, 'email addresses, comma-separated').default('sre@upload-pulse.local'),
  PRODUCER_MAX_QUEUED_EVENTS: z.coerce.number().int().min(1).default(100_000),
  PRODUCER_MAX_BATCH: z.coerce.number().int().min(1).default(5_000),
  PRODUCER_LINGER_MS: z.coerce.number().min(0).default(5),
  PRODUCER_COMPRESSION: z.enum(['none', 'gzip']).default('gzip'),
  PRODUCER_COMPRESS_MIN_EVENTS: z.coerce.number().int().min(1).default(100),
  PRODUCER_SEND_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  SERVICE_HOST: z.string().default('127.0.0.1'),
  GATEWAY_PORT: port.default(8080),
  GATEWAY_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(5 * 1024 * 1024),
  GATEWAY_RETRY_AFTER_S: z.coerce.number().int().min(1).default(5),
  GATEWAY_ATOMIC_REQUESTS: z.enum(['true', 'false']).default('true'),
  GATEWAY_TRANSACTIONAL_ID: z.string().regex(/^[\w.:-]{1,200}$/, 'letters, digits, . _ : -').optional(),
  ZOOKEEPER_CONNECT: z.string().optional(),
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
  gateway: { port: number };
  api: { port: number };
  maintenance: { port: number };
  curate: { port: number };
  anomaly: { port: number };
  startTimeoutMs: number;
  /** Where Alertmanager delivers; the stack renders these into its copy of alerting/alertmanager.yml. */
  alerting: AlertDeliveryConfig;
}

export interface AlertDeliveryConfig { slackWebhookUrl: string; smtpSmarthost: string; emailFrom: string; emailTo: string }

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
    gateway: { port: env.GATEWAY_PORT },
    api: { port: env.API_PORT },
    maintenance: { port: env.MAINTENANCE_PORT },
    curate: { port: env.CURATE_METRICS_PORT },
    anomaly: { port: env.ANOMALY_METRICS_PORT },
    startTimeoutMs: env.STACK_START_TIMEOUT_S * 1000,
    alerting: {
      slackWebhookUrl: env.ALERT_SLACK_WEBHOOK_URL,
      smtpSmarthost: env.ALERT_SMTP_SMARTHOST,
      emailFrom: env.ALERT_EMAIL_FROM,
      emailTo: env.ALERT_EMAIL_TO,
    },
  };
}

/** Where the project's services find the servers: explicit variables, else the local stack's defaults. */
export interface ServiceConfig {
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  zookeeperConnect: string;
  topics: { uploadEvents: string; curated: string; dlq: string; partitions: number; retentionMs: number };
  /**
   * dedupMaxKeys: the bound on each partition's dedup window, in keys (~70 bytes each).
   * fetch: the broker answers once minBytes are ready or after maxWaitMs. At live rates a fetch then
   * gathers a few hundred events instead of a handful, so curate opens far fewer transactions (each
   * costs the broker markers and offset commits).
   */
  curate: { group: string; dedupWindowMs: number; dedupMaxKeys: number; metricsPort: number; fetch: { minBytes: number; maxWaitMs: number } };
  clickhouse: { url: string; database: string; ingestGroup: string };
  producer: { maxQueuedEvents: number; maxBatch: number; lingerMs: number; compression: 'none' | 'gzip'; compressFromEvents: number; sendTimeoutMs: number };
  /** Address the project's services listen on and announce for discovery. */
  host: string;
  /** transactionalId: set when each request is written atomically (one Kafka transaction per batch of whole requests). */
  gateway: { port: number; bodyLimitBytes: number; retryAfterS: number; transactionalId: string | undefined };
  /** livePollMs: how often each live-page stream asks ClickHouse for new windows; liveMaxStreams: open streams at once. */
  api: { port: number; livePollMs: number; liveMaxStreams: number };
  /** reconcile: comparing recent hours of the rollups with the raw table (intervalMs 0: never). */
  maintenance: { port: number; retentionIntervalMs: number; probeIntervalMs: number; reconcile: { intervalMs: number; lookbackHours: number; settleMs: number } };
  anomaly: AnomalyConfig;
  replay: ReplayConfig;
}

/** `npm run replay` (consumers/replay/). */
export interface ReplayConfig {
  /** Where each replay's resume state is kept, one JSON file per replay id. */
  stateDir: string;
  /** Rows gathered into one insert into upload_events. */
  insertRows: number;
  /** Bytes fetched per partition and request (a batch). */
  fetchBytes: number;
  /** Raw rows read by one rollup re-insert (a range of sellers within a month). */
  rollupChunkRows: number;
  progressIntervalMs: number;
}

export interface AnomalyConfig {
  group: string;
  partialsTopic: string;
  anomaliesTopic: string;
  metricsPort: number;
  windowMs: number;
  latenessMs: number;
  idleMs: number;
  /** Windows the leader keeps waiting for slow partitions before it closes the oldest without them. */
  maxPendingWindows: number;
  minBaselineWindows: number;
  /** Undefined: the charts' documented defaults (EWMA_DEFAULTS). */
  ewmaLambda?: number;
  ewmaL?: number;
  sellerFdr: number;
  shrinkageEvents: number;
  forgetAfterMs: number;
  /** Where a new owner of a partition rebuilds its sellers' baselines from (seller-history.ts). */
  sellerHistory: 'rollups' | 'none';
  /** Sellers with a labelled series each on /metrics, besides those in breach. */
  topSellers: number;
}

export function serviceConfig(env: Env = loadEnv()): ServiceConfig {
  return {
    kafkaBrokers: (env.KAFKA_BROKERS ?? `127.0.0.1:${env.KAFKA_PORT}`).split(',').map((b) => b.trim()),
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL ?? `http://127.0.0.1:${env.SCHEMA_REGISTRY_PORT}/apis/ccompat/v7`,
    zookeeperConnect: env.ZOOKEEPER_CONNECT ?? `127.0.0.1:${env.ZOOKEEPER_PORT}`,
    topics: {
      uploadEvents: env.UPLOAD_EVENTS_TOPIC,
      curated: env.CURATED_TOPIC,
      dlq: env.DLQ_TOPIC,
      partitions: env.TOPIC_PARTITIONS,
      retentionMs: Math.round(env.TOPIC_RETENTION_HOURS * 3600_000),
    },
    clickhouse: {
      url: env.CLICKHOUSE_URL ?? `http://127.0.0.1:${env.CLICKHOUSE_HTTP_PORT}`,
      database: env.CLICKHOUSE_DB,
      ingestGroup: env.CLICKHOUSE_INGEST_GROUP,
    },
    curate: {
      group: env.CURATE_GROUP,
      dedupWindowMs: env.CURATE_DEDUP_WINDOW_S * 1000,
      dedupMaxKeys: env.CURATE_DEDUP_MAX_KEYS,
      metricsPort: env.CURATE_METRICS_PORT,
      fetch: { minBytes: env.CURATE_FETCH_MIN_BYTES, maxWaitMs: env.CURATE_FETCH_MAX_WAIT_MS },
    },
    producer: {
      maxQueuedEvents: env.PRODUCER_MAX_QUEUED_EVENTS,
      maxBatch: env.PRODUCER_MAX_BATCH,
      lingerMs: env.PRODUCER_LINGER_MS,
      compression: env.PRODUCER_COMPRESSION,
      compressFromEvents: env.PRODUCER_COMPRESS_MIN_EVENTS,
      sendTimeoutMs: env.PRODUCER_SEND_TIMEOUT_MS,
    },
    gateway: {
      port: env.GATEWAY_PORT,
      bodyLimitBytes: env.GATEWAY_BODY_LIMIT_BYTES,
      retryAfterS: env.GATEWAY_RETRY_AFTER_S,
      // Stable across restarts of one instance (a restart fences its predecessor), distinct between instances.
      transactionalId: env.GATEWAY_ATOMIC_REQUESTS === 'false' ? undefined : (env.GATEWAY_TRANSACTIONAL_ID ?? `upload-pulse-gateway-${os.hostname()}-${env.GATEWAY_PORT}`),
    },
    host: env.SERVICE_HOST,
    api: { port: env.API_PORT, livePollMs: env.API_LIVE_POLL_MS, liveMaxStreams: env.API_LIVE_MAX_STREAMS },
    maintenance: {
      port: env.MAINTENANCE_PORT,
      retentionIntervalMs: env.RETENTION_INTERVAL_S * 1000,
      probeIntervalMs: env.MAINTENANCE_PROBE_INTERVAL_S * 1000,
      reconcile: { intervalMs: env.ROLLUP_RECONCILE_INTERVAL_S * 1000, lookbackHours: env.ROLLUP_RECONCILE_LOOKBACK_H, settleMs: env.ROLLUP_RECONCILE_SETTLE_S * 1000 },
    },
    anomaly: {
      group: env.ANOMALY_GROUP,
      partialsTopic: env.ANOMALY_PARTIALS_TOPIC,
      anomaliesTopic: env.ANOMALIES_TOPIC,
      metricsPort: env.ANOMALY_METRICS_PORT,
      windowMs: env.ANOMALY_WINDOW_S * 1000,
      latenessMs: env.ANOMALY_LATENESS_S * 1000,
      idleMs: env.ANOMALY_IDLE_S * 1000,
      maxPendingWindows: env.ANOMALY_MAX_PENDING_WINDOWS,
      minBaselineWindows: env.ANOMALY_MIN_BASELINE_WINDOWS,
      ...(env.ANOMALY_EWMA_LAMBDA !== undefined ? { ewmaLambda: env.ANOMALY_EWMA_LAMBDA } : {}),
      ...(env.ANOMALY_EWMA_L !== undefined ? { ewmaL: env.ANOMALY_EWMA_L } : {}),
      sellerFdr: env.ANOMALY_SELLER_FDR,
      shrinkageEvents: env.ANOMALY_SHRINKAGE_EVENTS,
      forgetAfterMs: env.ANOMALY_SELLER_FORGET_H * 3600_000,
      sellerHistory: env.ANOMALY_SELLER_HISTORY,
      topSellers: env.ANOMALY_TOP_SELLERS,
    },
    replay: {
      stateDir: path.resolve(env.REPLAY_STATE_DIR ?? path.join(REPO_ROOT, '.replay')),
      insertRows: env.REPLAY_INSERT_ROWS,
      fetchBytes: env.REPLAY_FETCH_BYTES,
      rollupChunkRows: env.REPLAY_ROLLUP_CHUNK_ROWS,
      progressIntervalMs: env.REPLAY_PROGRESS_INTERVAL_S * 1000,
    },
  };
}
