import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/** Static checks of compose/docker-compose.yml: it cannot run here (no Docker engine), so it must at least be right. */

const COMPOSE_DIR = path.resolve(__dirname);
const REPO_ROOT = path.resolve(__dirname, '..');

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  network_mode?: string;
  environment?: Record<string, string | number | boolean | null>;
  volumes?: Array<string | { type: string; source?: string; target: string }>;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  [extension: `x-${string}`]: unknown;
}
interface Mount {
  source: string;
  target: string;
  bind: boolean;
}

// merge: compose honours YAML merge keys (<<: *anchor), which YAML 1.2 parsers leave off by default.
const compose: ComposeFile = parse(fs.readFileSync(path.join(COMPOSE_DIR, 'docker-compose.yml'), 'utf8'), { merge: true });
const services = Object.entries(compose.services);

function service(name: string): Service {
  const s = compose.services[name];
  if (!s) throw new Error(`service ${name} is not defined`);
  return s;
}

/** Short syntax `src:dst[:mode]` (a bind mount when src is a path) or long syntax. */
function mounts(s: Service): Mount[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return { source: v.source ?? '', target: v.target, bind: v.type === 'bind' };
    const [source, target] = v.split(':');
    return { source, target, bind: source.startsWith('.') || source.startsWith('/') };
  });
}

function env(s: Service, key: string): string | undefined {
  const v = s.environment?.[key];
  return v === undefined || v === null ? undefined : String(v);
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

const kafka = ['kafka-1', 'kafka-2', 'kafka-3'];
const clickhouse = [1, 2, 3, 4].map((n) => `clickhouse-${n}`);
const clickhouseIngest = [1, 2].map((n) => `clickhouse-ingest-${n}`);

test('defines the whole system', () => {
  const expected = [...kafka, 'zookeeper-1', 'zookeeper-2', 'zookeeper-3', ...clickhouse, ...clickhouseIngest, 'schema-registry', 'prometheus', 'alertmanager', 'grafana'];
  expect(Object.keys(compose.services).sort()).toEqual(expect.arrayContaining(expected.sort()));
  expect(compose).not.toHaveProperty('version');
});

test('every bind-mount source, the build files, and every named volume exist', () => {
  for (const [name, s] of services) {
    for (const m of mounts(s)) {
      if (m.bind) {
        expect({ service: name, exists: fs.existsSync(path.resolve(COMPOSE_DIR, m.source)), source: m.source }).toMatchObject({ exists: true });
      } else {
        expect({ service: name, declared: Object.keys(compose.volumes ?? {}).includes(m.source), volume: m.source }).toMatchObject({ declared: true });
      }
    }
  }
  const build = (compose['x-upload-pulse-service'] as Service).build!;
  const context = path.resolve(COMPOSE_DIR, build.context);
  expect(context).toBe(REPO_ROOT);
  expect(fs.existsSync(path.resolve(context, build.dockerfile!))).toBe(true);
  expect(fs.existsSync(path.resolve(context, `${build.dockerfile}.dockerignore`))).toBe(true);
});

test('the shared config files are mounted, not copied', () => {
  const mounted = (name: string) => mounts(service(name)).map((m) => ({ source: m.source, target: m.target }));

  expect(mounted('prometheus')).toContainEqual({ source: '../alerting/prometheus.yml', target: '/etc/prometheus/prometheus.yml' });
  expect(mounted('prometheus')).toContainEqual({ source: '../alerting/rules', target: '/etc/prometheus/rules' });
  expect(mounted('alertmanager')).toContainEqual({ source: '../alerting/alertmanager.yml', target: '/etc/alertmanager/alertmanager.yml' });
  const ownFile = [...clickhouse.map((name, i) => [name, `node-${i + 1}.xml`]), ...clickhouseIngest.map((name, i) => [name, `ingest-${i + 1}.xml`])];
  for (const [name, file] of ownFile) {
    const configs = mounted(name).filter((m) => m.target.startsWith('/etc/clickhouse-server/config.d/'));
    expect(configs.map((m) => m.source).sort()).toEqual(['common.xml', 'topology-cluster.xml', file].map((f) => `../server-config/clickhouse/${f}`).sort());
  }

  const copies = filesUnder(COMPOSE_DIR)
    .map((f) => path.relative(COMPOSE_DIR, f))
    .filter((f) => /\.xml$|(^|\/)(prometheus|alertmanager)[^/]*\.ya?ml$/.test(f));
  expect(copies).toEqual([]);
});

test('every service uses host networking and a pinned image', () => {
  for (const [name, s] of services) {
    expect({ service: name, network_mode: s.network_mode }).toEqual({ service: name, network_mode: 'host' });
    if (s.image === undefined) {
      expect({ service: name, build: s.build !== undefined }).toEqual({ service: name, build: true });
      continue;
    }
    const tag = /:([^/:@]+)$/.exec(s.image)?.[1];
    expect({ service: name, image: s.image, pinned: tag !== undefined && tag !== 'latest' }).toMatchObject({ pinned: true });
  }
});

test('the Kafka brokers agree on the cluster', () => {
  const brokers = kafka.map(service);
  const all = (key: string) => brokers.map((b) => env(b, key));
  const same = (key: string, value?: string) => {
    const values = all(key);
    expect(values[0]).toBeDefined();
    expect({ key, values }).toEqual({ key, values: brokers.map(() => value ?? values[0]) });
  };

  expect(new Set(all('KAFKA_NODE_ID')).size).toBe(3);
  expect(all('KAFKA_NODE_ID')).not.toContain(undefined);
  same('CLUSTER_ID');
  same('KAFKA_CONTROLLER_QUORUM_VOTERS', '1@127.0.0.1:19092,2@127.0.0.1:19192,3@127.0.0.1:19292');
  same('KAFKA_PROCESS_ROLES', 'broker,controller');
  for (const key of ['KAFKA_DEFAULT_REPLICATION_FACTOR', 'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR']) {
    same(key, '3');
  }
  for (const key of ['KAFKA_MIN_INSYNC_REPLICAS', 'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR']) same(key, '2');
  same('KAFKA_AUTO_CREATE_TOPICS_ENABLE', 'false');
  // Each broker listens where the quorum voters say it does.
  brokers.forEach((b, i) => {
    const controllerPort = 19092 + 100 * i;
    expect(env(b, 'KAFKA_NODE_ID')).toBe(String(i + 1));
    expect(env(b, 'KAFKA_LISTENERS')).toContain(`CONTROLLER://127.0.0.1:${controllerPort}`);
  });
});
