import { ConfigResourceTypes, type Admin, type Kafka } from 'kafkajs';
import { needsFirstTimestamp, type PartitionOffsets, type TopicOffsets } from './range';
import { RefusalError, type ReplayRequest } from './request';

/**
 * What the broker says about a topic for range resolution (range.ts): log start and end per
 * partition, offsets by timestamp, retention, and, where retention may have cut into the range,
 * the timestamp of the first message still in the log (read with a throwaway consumer group).
 */

const PROBE_TIMEOUT_MS = 30_000;

async function assertTopicExists(admin: Admin, topic: string, brokers: string[]): Promise<void> {
  const topics = await admin.listTopics();
  if (topics.includes(topic)) return;
  const stem = topic.replace(/\.v\d+$/, '').split(/[._-]/).filter((w) => w.length > 3);
  const similar = topics.filter((t) => !t.startsWith('__') && stem.some((w) => t.includes(w))).sort().slice(0, 8);
  throw new RefusalError(`topic ${topic} does not exist on ${brokers.join(',')}${similar.length > 0 ? `; similar topics: ${similar.join(', ')}` : ''}. Check --topic (and KAFKA_BROKERS)`);
}

async function retentionOf(admin: Admin, topic: string): Promise<number | undefined> {
  const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }] });
  const value = described.resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue;
  return value === undefined ? undefined : Number(value);
}

/** Timestamp of the first message still in each given partition, read from the log start with a throwaway group. */
export async function firstTimestamps(kafka: Kafka, admin: Admin, topic: string, partitions: number[], group: string): Promise<Map<number, number>> {
  const found = new Map<number, number>();
  if (partitions.length === 0) return found;
  const consumer = kafka.consumer({ groupId: group, maxBytesPerPartition: 64 * 1024, maxWaitTimeInMs: 500 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading the first retained message of ${topic} partitions ${partitions.filter((p) => !found.has(p)).join(', ')} took over ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            if (partitions.includes(batch.partition) && !found.has(batch.partition) && batch.messages.length > 0) found.set(batch.partition, Number(batch.messages[0].timestamp));
            consumer.pause([{ topic, partitions: [batch.partition] }]);
            if (partitions.every((p) => found.has(p))) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([group]).catch(() => undefined);
  }
  return found;
}

export async function lookupTopic(o: { kafka: Kafka; admin: Admin; brokers: string[]; request: ReplayRequest; topic: string; probeGroup: string }): Promise<TopicOffsets> {
  const { admin, topic, request } = o;
  await assertTopicExists(admin, topic, o.brokers);
  const nowMs = Date.now();
  const ends = await admin.fetchTopicOffsets(topic);
  const partitions: PartitionOffsets[] = ends.map((e) => ({ partition: e.partition, low: BigInt(e.low), high: BigInt(e.high) })).sort((a, b) => a.partition - b.partition);
  if (request.range.by === 'time') {
    const at = async (ms: number) => new Map((await admin.fetchTopicOffsetsByTimestamp(topic, ms)).map((x) => [x.partition, BigInt(x.offset)]));
    const [atFrom, atTo] = [await at(request.range.fromMs), await at(request.range.toMs)];
    for (const p of partitions) {
      p.atFrom = atFrom.get(p.partition);
      p.atTo = atTo.get(p.partition);
    }
    const asked = request.partitions ?? partitions.map((p) => p.partition);
    const probe = partitions.filter((p) => asked.includes(p.partition) && needsFirstTimestamp(p));
    const first = await firstTimestamps(o.kafka, admin, topic, probe.map((p) => p.partition), o.probeGroup);
    for (const p of probe) p.firstTimestampMs = first.get(p.partition);
  }
  const retentionMs = await retentionOf(admin, topic);
  return { topic, partitions, nowMs, ...(retentionMs !== undefined ? { retentionMs } : {}) };
}
