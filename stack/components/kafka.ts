import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../lib/config';
import { distDir, instancePaths, type StackLayout } from '../layout';
import { StackError, type ProcessSpec } from '../processes';
import { kafkaBrokerReady } from '../probes';

/** Apache Kafka in KRaft mode (combined broker+controller nodes) from the Maven Central jars. */

const run = promisify(execFile);

/** One cluster id per topology, created once and kept with the data. */
function clusterId(layout: StackLayout): string {
  const file = path.join(layout.config.dir, layout.topology, 'kafka-cluster-id');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Like Kafka's Uuid.randomUuid: an id starting with '-' would read as a command-line flag.
    let id: string;
    do id = crypto.randomBytes(16).toString('base64url');
    while (id.startsWith('-'));
    fs.writeFileSync(file, id);
  }
  return fs.readFileSync(file, 'utf8').trim();
}

export function kafkaReplication(layout: StackLayout): { replicationFactor: number; minInsync: number } {
  const n = layout.kafka.length;
  return { replicationFactor: Math.min(3, n), minInsync: n >= 3 ? 2 : 1 };
}

function kafkaJvm(layout: StackLayout): string[] {
  const classpath = path.join(distDir(layout.config, 'kafka'), 'libs', '*');
  return ['-cp', classpath, `-Dlog4j2.configurationFile=${path.join(REPO_ROOT, 'server-config/kafka/log4j2.properties')}`];
}

/**
 * Moves every partition's leadership back to its preferred replica, as an operator does after
 * brokers return (Kafka's own tool). Otherwise the controller does it by itself up to
 * leader.imbalance.check.interval.seconds (5 min) later, in the middle of whatever runs then.
 */
export async function electPreferredLeaders(layout: StackLayout): Promise<void> {
  const bootstrap = layout.kafka.map((b) => `127.0.0.1:${b.port}`).join(',');
  const args = [...kafkaJvm(layout), 'org.apache.kafka.tools.LeaderElectionCommand', '--bootstrap-server', bootstrap, '--election-type', 'preferred', '--all-topic-partitions'];
  await run('java', args).catch((err) => {
    throw new StackError(`preferred leader election failed: ${err.stderr || err.message}`);
  });
}

export function kafkaProcesses(layout: StackLayout): ProcessSpec[] {
  const { replicationFactor: rf, minInsync: isr } = kafkaReplication(layout);
  const voters = layout.kafka.map((b) => `${b.id}@127.0.0.1:${b.controllerPort}`).join(',');
  const heap = layout.config.kafka.heap;
  const jvm = kafkaJvm(layout);

  return layout.kafka.map((broker) => {
    const paths = instancePaths(layout, broker.name);
    const propsFile = path.join(paths.conf, 'server.properties');
    const props = {
      'process.roles': 'broker,controller',
      'node.id': broker.id,
      'controller.quorum.voters': voters,
      listeners: `PLAINTEXT://127.0.0.1:${broker.port},CONTROLLER://127.0.0.1:${broker.controllerPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${broker.port}`,
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'log.dirs': paths.data,
      // Topics are created explicitly by the project, with their partitions and retention.
      'auto.create.topics.enable': false,
      'num.partitions': 12,
      'default.replication.factor': rf,
      'min.insync.replicas': isr,
      'offsets.topic.replication.factor': rf,
      'transaction.state.log.replication.factor': rf,
      'transaction.state.log.min.isr': isr,
      'share.coordinator.state.topic.replication.factor': rf,
      'share.coordinator.state.topic.min.isr': isr,
      'log.retention.hours': 168,
      // Consumers in tests and the demo join at once instead of waiting 3 s for peers.
      'group.initial.rebalance.delay.ms': 0,
    };
    return {
      name: broker.name,
      component: 'kafka',
      command: 'java',
      args: [`-Xms${heap}`, `-Xmx${heap}`, '-XX:+UseG1GC', ...jvm, 'kafka.Kafka', propsFile],
      paths,
      ports: [broker.port, broker.controllerPort],
      endpoints: { bootstrap: `127.0.0.1:${broker.port}` },
      stopGraceS: 60,
      async prepare() {
        fs.writeFileSync(propsFile, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
        const formatted = fs.existsSync(path.join(paths.data, 'meta.properties'));
        if (formatted) return;
        if (fs.readdirSync(paths.data).length > 0) {
          throw new StackError(
            `${broker.name}: data folder ${paths.data} is not empty but has no meta.properties (corrupted or foreign data); ` +
              `move it away or run 'npm run stack:down -- --purge' to start from empty storage`,
          );
        }
        await run('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId(layout), '-c', propsFile]).catch((err) => {
          throw new StackError(`${broker.name}: formatting storage failed: ${err.stderr || err.message}`);
        });
      },
      probe: () => kafkaBrokerReady(broker.port, layout.kafka.length),
    };
  });
}
