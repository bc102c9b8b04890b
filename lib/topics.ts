import { backOff } from 'exponential-backoff';
import { ConfigResourceTypes, type Admin, type Consumer, type ConsumerSubscribeTopics } from 'kafkajs';

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
  // Services start together: a topic another one just created may not be known to every broker yet.
  return backOff(() => createOrAlign(admin, spec), {
    numOfAttempts: 8,
    startingDelay: 200,
    maxDelay: 3000,
    retry: retriable,
  });
}

const retriable = (err: unknown): boolean => (err as { retriable?: boolean }).retriable === true;
/** Metadata of a just-created topic reaches every broker within seconds. */
const UNTIL_KNOWN = { numOfAttempts: 10, startingDelay: 200, maxDelay: 3000, retry: retriable };

/**
 * Subscribes, retrying while a broker does not know the topic yet: on several brokers, one just
 * created (by this process or one starting beside it) reaches their metadata a moment apart.
 */
export async function subscribeWhenKnown(consumer: Consumer, subscription: ConsumerSubscribeTopics): Promise<void> {
  await backOff(() => consumer.subscribe(subscription), UNTIL_KNOWN);
}

/** A topic's partition count, retrying while the broker asked does not know the topic yet (see subscribeWhenKnown). */
export async function partitionCount(admin: Admin, topic: string): Promise<number> {
  const [metadata] = (await backOff(() => admin.fetchTopicMetadata({ topics: [topic] }), UNTIL_KNOWN)).topics;
  return metadata.partitions.length;
}

async function createOrAlign(admin: Admin, spec: TopicSpec): Promise<boolean> {
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
