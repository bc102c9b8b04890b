import { ConfigResourceTypes, type Admin } from 'kafkajs';
import type { ServiceConfig } from '../lib/config';
import { LIMITS } from '../schemas/validate-event';

/** Topics are created by the project, never auto-created: explicit partitions, replication and retention. */

export interface TopicSpec { topic: string; partitions: number; retentionMs: number; config?: Record<string, string> }

/** Replication follows the cluster actually reached: 3 copies (2 in sync) on 3+ brokers, else what there is. */
export async function replicationFor(admin: Admin): Promise<{ replicationFactor: number; minInsync: number }> {
  const { brokers } = await admin.describeCluster();
  const replicationFactor = Math.min(3, brokers.length);
  return { replicationFactor, minInsync: replicationFactor >= 3 ? 2 : 1 };
}

/**
 * Creates the topic if missing, else brings its settings to the spec (the spec in code is the
 * source of truth). Returns true when the topic was created.
 */
export async function ensureTopic(admin: Admin, spec: TopicSpec): Promise<boolean> {
  const { replicationFactor, minInsync } = await replicationFor(admin);
  const configEntries = Object.entries({
    'retention.ms': String(spec.retentionMs),
    'min.insync.replicas': String(minInsync),
    ...spec.config,
  }).map(([name, value]) => ({ name, value }));
  const created = await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic: spec.topic, numPartitions: spec.partitions, replicationFactor, configEntries }],
  });
  if (!created) await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: spec.topic, configEntries }] });
  return created;
}

const MS_PER_HOUR = 3_600_000;

/** The raw upload events topic. Kafka timestamps are event times: the broker must accept what validation accepts. */
export function uploadEventsTopic(config: ServiceConfig, topic = config.topics.uploadEvents): TopicSpec {
  const futureSkewMs = Number(LIMITS.futureSkewNs / 1_000_000n);
  return {
    topic,
    partitions: config.topics.partitions,
    retentionMs: config.topics.retentionMs,
    // Kafka 4 refuses timestamps over 1 h ahead by default, failing whole batches; allow the validated skew plus an hour.
    config: { 'message.timestamp.after.max.ms': String(futureSkewMs + MS_PER_HOUR) },
  };
}
