import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import type pino from 'pino';
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '../../lib/clickhouse';
import type { ServiceConfig } from '../../lib/config';
import { quoteString } from '../../lib/sql';
import { electPreferredLeaders } from '../../stack/components/kafka';
import type { StackLayout } from '../../stack/layout';
import type { ProcessSpec } from '../../stack/processes';
import type { StackStatus } from '../../stack/stack';
import { restartInstance, signalInstance, stackInstance, startExtraInstance, stopExtraInstance, waitGone, type ExtraInstance } from './stack-control';
import { divergentShards, replicaCounts } from './storage-checks';

/**
 * The scripted faults of load-tests/chaos: each injects one failure into the running stack while
 * load flows, heals it, and adds its own checks to the common ones (nothing lost, nothing doubled,
 * every request answered as the fault allows). See run-chaos.ts for the timeline and the verdict.
 */

export interface Check { name: string; ok: boolean; detail: string }

export interface FaultEnv {
  layout: StackLayout;
  status: StackStatus;
  config: ServiceConfig;
  admin: Admin;
  clickhouse: ClickHouseClient;
  log: pino.Logger;
}

/** After the drain: the run's tag (its events' attempt_id prefix) and the fault's instants. */
export interface RunWindow { runTag: string; faultAt: number; healedAt: number }

export interface Fault {
  name: string;
  summary: string;
  /** Seconds the fault lasts unless asked otherwise. */
  defaultSeconds: number;
  /** Why this topology cannot host the fault, if it cannot. */
  unsupported?(layout: StackLayout): string | undefined;
  /** While the fault lasts: every request acknowledged (202), or refused with 503 and Retry-After. */
  requests: 'acknowledged' | 'refused-while-down';
  /** Alerts that must fire during the fault and resolve after it. */
  expectAlerts: string[];
  /** Alerts that must not fire at all. */
  forbidAlerts: string[];
  setUp?(env: FaultEnv): Promise<void>;
  inject(env: FaultEnv): Promise<void>;
  /** Checks made at the end of the fault, before it is healed. */
  whileDown?(env: FaultEnv): Promise<Check[]>;
  heal(env: FaultEnv): Promise<void>;
  verify?(env: FaultEnv, window: RunWindow): Promise<Check[]>;
  tearDown?(env: FaultEnv): Promise<void>;
}

const check = (name: string, ok: boolean, detail: string): Check => ({ name, ok, detail });

async function until<T>(timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined || Date.now() > deadline) return value;
    await sleep(1000);
  }
}

async function kill(spec: ProcessSpec): Promise<void> {
  signalInstance(spec, 'SIGKILL');
  await waitGone(spec);
}

/** Every partition of the pipeline's topics has its full replica set in sync again. */
async function isrRestored(env: FaultEnv, timeoutMs: number): Promise<Check> {
  const topics = [env.config.topics.uploadEvents, env.config.topics.curated];
  let lagging: string[] = [];
  const ok = await until(timeoutMs, async () => {
    const { topics: meta } = await env.admin.fetchTopicMetadata({ topics });
    lagging = meta.flatMap((t) => t.partitions.filter((p) => p.isr.length < p.replicas.length).map((p) => `${t.name}/${p.partitionId} isr=${p.isr.join(',')}`));
    return lagging.length === 0 ? true : undefined;
  });
  return check('every partition back in sync', ok === true, ok ? `all partitions of ${topics.join(', ')} have their full ISR` : `still under-replicated after ${timeoutMs / 1000} s: ${lagging.slice(0, 5).join('; ')}`);
}

/** After a broker returned: leadership moved back to every partition's preferred replica. */
async function preferredLeadersRestored(env: FaultEnv): Promise<Check> {
  const started = Date.now();
  // A partition whose preferred replica is not back in sync yet (an internal topic's) fails the
  // election until it is.
  let failed: string | undefined;
  await until(60_000, () =>
    electPreferredLeaders(env.layout).then(
      () => ((failed = undefined), true),
      (err: Error) => void (failed = err.message),
    ),
  );
  const topics = [env.config.topics.uploadEvents, env.config.topics.curated];
  const { topics: meta } = await env.admin.fetchTopicMetadata({ topics });
  const elsewhere = meta.flatMap((t) => t.partitions.filter((p) => p.leader !== p.replicas[0]).map((p) => `${t.name}/${p.partitionId} leader=${p.leader} preferred=${p.replicas[0]}`));
  const ok = failed === undefined && elsewhere.length === 0;
  return check('leaders back on their preferred replicas', ok, ok ? `preferred leader election done in ${((Date.now() - started) / 1000).toFixed(1)} s` : (failed ?? `not preferred: ${elsewhere.slice(0, 5).join('; ')}`));
}

async function replicasConverge(env: FaultEnv, window: RunWindow, distinct?: number): Promise<Check> {
  const counts = await replicaCounts(env.layout, env.config.clickhouse.database, window.runTag);
  const divergent = divergentShards(counts);
  const perShard = [...new Set(counts.map((c) => c.shard))].map((s) => counts.find((c) => c.shard === s)!.rowsFinal);
  const total = perShard.reduce((a, b) => a + b, 0);
  const detail = counts.map((c) => `${c.node}=${c.rowsFinal}`).join(', ');
  const ok = divergent.length === 0 && (distinct === undefined || total === distinct);
  return check('replicas converge to exact totals', ok, ok ? `${detail}; shards sum to ${total}` : `${divergent.join('; ') || `shards sum to ${total}, expected ${distinct}`} (${detail})`);
}

async function groupMembers(env: FaultEnv, group: string): Promise<number> {
  const { groups } = await env.admin.describeGroups([group]);
  return groups[0]?.state === 'Stable' ? groups[0].members.length : -1;
}

/** Services Prometheus scrapes successfully, by the name they registered in ZooKeeper. */
async function discoveredServices(env: FaultEnv): Promise<string[]> {
  const res = await fetch(`${env.status.components.prometheus.url}/api/v1/query?${new URLSearchParams({ query: 'count by (service) (up{job="upload-pulse"} == 1)' })}`);
  const body = (await res.json()) as { data: { result: { metric: { service: string } }[] } };
  return body.data.result.map((r) => r.metric.service).sort();
}

/** The ZooKeeper node that is the ensemble's leader (srvr's "Mode: leader"), or the first node. */
async function zookeeperLeader(layout: StackLayout): Promise<string> {
  const modes = await Promise.all(
    layout.zookeeper.map(
      (z) =>
        new Promise<string>((resolve) => {
          let text = '';
          const socket = net.connect(z.port, '127.0.0.1', () => socket.end('srvr'));
          socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
          socket.on('close', () => resolve(/Mode: (\w+)/.exec(text)?.[1] ?? 'unknown'));
          socket.on('error', () => resolve('unreachable'));
          socket.setTimeout(5000, () => socket.destroy());
        }),
    ),
  );
  return layout.zookeeper[Math.max(0, modes.indexOf('leader'))].name;
}

const needs = (what: string, have: number, want: number) => (have < want ? `needs ${want} ${what} (this topology has ${have}): run it on the cluster topology (STACK_TOPOLOGY=cluster npm run stack:up)` : undefined);

export function brokerKill(): Fault {
  let victim: ProcessSpec;
  return {
    name: 'broker-kill',
    summary: 'SIGKILL one Kafka broker of three, start it again: producers keep being acknowledged, nothing lost or doubled, every partition back in sync',
    defaultSeconds: 20,
    unsupported: (layout) => needs('Kafka brokers', layout.kafka.length, 3),
    requests: 'acknowledged',
    expectAlerts: [],
    forbidAlerts: ['ServiceDown', 'IngestStalled'],
    async inject(env) {
      victim = stackInstance(env.layout, env.layout.kafka.at(-1)!.name);
      await kill(victim);
    },
    heal: (env) => restartInstance(victim, env.layout),
    async verify(env) {
      return [await isrRestored(env, 120_000), await preferredLeadersRestored(env)];
    },
  };
}

export function kafkaDown(): Fault {
  let brokers: ProcessSpec[];
  return {
    name: 'kafka-down',
    summary: 'SIGKILL every Kafka broker, start them again: the gateway answers 503 with Retry-After while they are down, writes nothing partially, and accepts again when they return',
    defaultSeconds: 20,
    requests: 'refused-while-down',
    expectAlerts: [],
    forbidAlerts: [],
    async inject(env) {
      brokers = env.layout.kafka.map((b) => stackInstance(env.layout, b.name));
      await Promise.all(brokers.map(kill));
    },
    async heal(env) {
      await Promise.all(brokers.map((b) => restartInstance(b, env.layout)));
    },
    async verify(env) {
      return env.layout.kafka.length > 1 ? [await isrRestored(env, 120_000), await preferredLeadersRestored(env)] : [];
    },
  };
}

export function clickhouseReplicaKill(): Fault {
  let victim: ProcessSpec;
  return {
    name: 'clickhouse-replica-kill',
    summary: "SIGKILL one ClickHouse replica (shard 1's second), start it again: both replicas converge, totals exact",
    defaultSeconds: 20,
    unsupported: (layout) => needs('ClickHouse replicas of a shard', layout.clickhouse.filter((c) => c.shard === 1).length, 2),
    requests: 'acknowledged',
    expectAlerts: [],
    forbidAlerts: ['IngestStalled'],
    async inject(env) {
      victim = stackInstance(env.layout, env.layout.clickhouse.find((c) => c.shard === 1 && c.replica === 2)!.name);
      await kill(victim);
    },
    heal: (env) => restartInstance(victim, env.layout),
    async verify(env, window) {
      return [await replicasConverge(env, window)];
    },
  };
}

export function zookeeperKill(): Fault {
  let victim: ProcessSpec;
  let before: string[] = [];
  return {
    name: 'zookeeper-kill',
    summary: 'SIGKILL the ZooKeeper leader of three, start it again: replication and service discovery keep working',
    defaultSeconds: 30,
    unsupported: (layout) => needs('ZooKeeper nodes', layout.zookeeper.length, 3),
    requests: 'acknowledged',
    expectAlerts: [],
    // Not IngestStalled: ClickHouse 18.16 drops its ZooKeeper session with the node and holds its
    // replicated tables read-only until a new one is up, so storage may stall for a minute (and page).
    forbidAlerts: ['ServiceDown'],
    async setUp(env) {
      before = await discoveredServices(env);
    },
    async inject(env) {
      victim = stackInstance(env.layout, await zookeeperLeader(env.layout));
      env.log.info({ victim: victim.name }, 'killing the ZooKeeper leader');
      await kill(victim);
    },
    async whileDown(env) {
      const during = await discoveredServices(env);
      const missing = before.filter((s) => !during.includes(s));
      return [check('service discovery while a node is down', missing.length === 0, missing.length === 0 ? `Prometheus still scrapes ${during.join(', ')}` : `lost ${missing.join(', ')}`)];
    },
    heal: (env) => restartInstance(victim, env.layout),
    async verify(env, window) {
      return [await replicasConverge(env, window)];
    },
  };
}

export function curatePause(): Fault {
  let curate: ProcessSpec;
  let standby: ExtraInstance | undefined;
  let stopped = false;
  return {
    name: 'curate-pause',
    summary: 'SIGSTOP a curate worker for 60 s (a long GC pause) while a second one runs, then SIGCONT: its partitions move to the other and come back, nothing lost or doubled',
    defaultSeconds: 60,
    requests: 'acknowledged',
    expectAlerts: [],
    forbidAlerts: ['ServiceDown'],
    async setUp(env) {
      curate = stackInstance(env.layout, env.layout.curate.name);
      standby = await startExtraInstance(curate, 'CURATE_METRICS_PORT', 'curate worker started', 'curate-standby');
      const members = await until(90_000, async () => ((await groupMembers(env, env.config.curate.group)) === 2 ? 2 : undefined));
      if (members !== 2) throw new Error(`the standby curate worker did not join group ${env.config.curate.group} within 90 s`);
    },
    async inject() {
      signalInstance(curate, 'SIGSTOP');
      stopped = true;
    },
    async whileDown(env) {
      // The paused member misses its heartbeats: after the session timeout the standby holds every partition.
      const alone = await until(30_000, async () => ((await groupMembers(env, env.config.curate.group)) === 1 ? 1 : undefined));
      return [check('partitions move to the running worker', alone === 1, alone === 1 ? 'the group rebalanced to the standby alone' : 'the group still counts the paused worker')];
    },
    async heal(env) {
      signalInstance(curate, 'SIGCONT');
      stopped = false;
      await until(90_000, async () => ((await groupMembers(env, env.config.curate.group)) === 2 ? 2 : undefined));
    },
    async verify(env) {
      const back = await until(60_000, async () => ((await groupMembers(env, env.config.curate.group)) === 2 ? 2 : undefined));
      const checks = [check('partitions come back', back === 2, back === 2 ? 'the resumed worker rejoined: two members share the partitions' : 'the resumed worker did not rejoin the group within 60 s')];
      // Its ZooKeeper session expired while it was stopped: it must have registered again.
      const curateTargets = await until(60_000, async () => {
        const res = await fetch(`${env.status.components.prometheus.url}/api/v1/query?${new URLSearchParams({ query: 'count(up{job="upload-pulse", service="curate"} == 1)' })}`);
        const n = Number(((await res.json()) as { data: { result: { value: [number, string] }[] } }).data.result[0]?.value[1] ?? 0);
        return n >= 2 ? n : undefined;
      });
      checks.push(check('the resumed worker is discovered again', curateTargets !== undefined, curateTargets !== undefined ? `${curateTargets} curate targets up` : 'Prometheus does not scrape two curate workers 60 s after the resume'));
      return checks;
    },
    async tearDown() {
      if (stopped) signalInstance(curate, 'SIGCONT');
      if (standby) await stopExtraInstance(standby);
    },
  };
}

export function curateDown(): Fault {
  let curate: ProcessSpec;
  return {
    name: 'curate-down',
    summary: 'SIGKILL the only curate worker for 2 minutes, start it again: ServiceDown and IngestStalled fire while it is down and resolve after; the backlog is stored exactly',
    defaultSeconds: 120,
    requests: 'acknowledged',
    expectAlerts: ['ServiceDown', 'IngestStalled'],
    forbidAlerts: [],
    async inject(env) {
      curate = stackInstance(env.layout, env.layout.curate.name);
      await kill(curate);
    },
    heal: (env) => restartInstance(curate, env.layout),
  };
}

const anomalyLeaderGauge = async (port: number): Promise<number | undefined> => {
  try {
    const m = /^upload_pulse_anomaly_leader (\d+)/m.exec(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
};

export function anomalyLeaderKill(): Fault {
  let own: ProcessSpec;
  let extras: ExtraInstance[] = [];
  let killed: { name: string; port: number } | undefined;
  let electedAfterMs: number | undefined;
  const members = (env: FaultEnv) => [{ name: env.layout.anomaly.name, port: env.layout.anomaly.port }, ...extras.map((e) => ({ name: e.name, port: e.port }))];
  const leaders = async (list: { name: string; port: number }[]) => (await Promise.all(list.map(async (m) => ((await anomalyLeaderGauge(m.port)) === 1 ? m : undefined)))).filter((m) => m !== undefined);
  return {
    name: 'anomaly-leader-kill',
    summary: 'SIGKILL the anomaly-worker leader of three instances: exactly one new leader within the session timeout, no missed chart windows',
    defaultSeconds: 30,
    requests: 'acknowledged',
    expectAlerts: [],
    forbidAlerts: ['ChartsBehind'],
    async setUp(env) {
      own = stackInstance(env.layout, env.layout.anomaly.name);
      extras = await Promise.all([1, 2].map((i) => startExtraInstance(own, 'ANOMALY_METRICS_PORT', 'anomaly worker started', `anomaly-standby-${i}`)));
      const one = await until(90_000, async () => ((await leaders(members(env))).length === 1 ? true : undefined));
      if (!one) throw new Error('three anomaly workers did not settle on exactly one leader within 90 s');
    },
    async inject(env) {
      const [leader] = await leaders(members(env));
      killed = leader;
      env.log.info({ victim: leader.name }, 'killing the anomaly leader');
      const started = Date.now();
      if (leader.name === own.name) await kill(own);
      else extras.find((e) => e.name === leader.name)!.child.kill('SIGKILL');
      const survivors = members(env).filter((m) => m.name !== leader.name);
      const one = await until(60_000, async () => ((await leaders(survivors)).length === 1 ? true : undefined));
      electedAfterMs = one ? Date.now() - started : undefined;
    },
    async whileDown(env) {
      const survivors = members(env).filter((m) => m.name !== killed?.name);
      const now = await leaders(survivors);
      return [
        check(
          'one new leader within the session timeout',
          electedAfterMs !== undefined && electedAfterMs < 25_000 && now.length === 1,
          electedAfterMs === undefined ? 'no single leader among the survivors within 60 s' : `${now.map((l) => l.name).join(', ')} leads, elected ${(electedAfterMs / 1000).toFixed(1)} s after the kill (session timeout 10 s)`,
        ),
      ];
    },
    async heal(env) {
      if (killed?.name === own.name) await restartInstance(own, env.layout);
    },
    async verify(env, window) {
      const db = env.config.clickhouse.database;
      const { windowMs, latenessMs } = env.config.anomaly;
      const from = Math.floor((window.faultAt - 2 * windowMs) / windowMs) * windowMs;
      const to = Math.floor((window.healedAt - windowMs) / windowMs) * windowMs;
      const starts = await until(windowMs + latenessMs + 120_000, async () => {
        const rows = await queryRows<{ s: string }>(
          env.clickhouse,
          `SELECT DISTINCT toUInt32(window_start) AS s FROM ${db}.chart_windows
            WHERE stream = ${quoteString(env.config.topics.uploadEvents)} AND dimension = 'global'
              AND window_start BETWEEN toDateTime(${from / 1000}) AND toDateTime(${to / 1000}) ORDER BY s`,
        );
        const s = rows.map((r) => Number(r.s) * 1000);
        return s.at(-1) === to ? s : undefined;
      });
      const expected = Array.from({ length: (to - from) / windowMs + 1 }, (_, i) => from + i * windowMs);
      const missing = expected.filter((s) => !starts?.includes(s)).map((s) => new Date(s).toISOString().slice(11, 16));
      return [check('no missed chart windows', missing.length === 0, missing.length === 0 ? `every global window from ${new Date(from).toISOString().slice(11, 16)} to ${new Date(to).toISOString().slice(11, 16)} UTC is charted` : `missing windows at ${missing.join(', ')} UTC`)];
    },
    async tearDown() {
      await Promise.all(extras.map((e) => stopExtraInstance(e)));
    },
  };
}

export const FAULTS: Record<string, () => Fault> = {
  'broker-kill': brokerKill,
  'clickhouse-replica-kill': clickhouseReplicaKill,
  'zookeeper-kill': zookeeperKill,
  'anomaly-leader-kill': anomalyLeaderKill,
  'curate-pause': curatePause,
  'kafka-down': kafkaDown,
  'curate-down': curateDown,
};
