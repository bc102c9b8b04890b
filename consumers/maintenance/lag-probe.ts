import type { Admin } from 'kafkajs';
import { Gauge, type Registry } from 'prom-client';
import type { ServiceConfig } from '../../lib/config';
import type { Probe } from './probe-loop';

/**
 * upload_pulse_consumer_lag{group,topic}: messages a consumer group has still to read, summed over
 * the topic's partitions (end offset minus the group's committed offset).
 */

export interface LagTarget {
  group: string;
  topic: string;
}

/** The pipeline's consumer groups and the topics they read: curate and the anomaly worker on the raw topic, ClickHouse's Kafka engine on the curated one. */
export function pipelineLagTargets(config: ServiceConfig): LagTarget[] {
  return [
    { group: config.curate.group, topic: config.topics.uploadEvents },
    { group: config.clickhouse.ingestGroup, topic: config.topics.curated },
    { group: config.anomaly.group, topic: config.topics.uploadEvents },
  ];
}

export interface TopicOffsets {
  partition: number;
  /** End offset (high watermark). */
  high: string;
  /** First offset still on the broker (low watermark). */
  low: string;
}

export interface CommittedOffset {
  partition: number;
  /** -1 when the group has committed nothing for the partition. */
  offset: string;
}

/**
 * The group's lag on one topic, or undefined when the group has committed nothing on it (a group
 * that never ran has no position to lag behind). A partition without a commit in a group that has
 * others counts from the low watermark: the group's consumers start there (fromBeginning,
 * auto_offset_reset smallest). A commit below the low watermark (retention deleted the messages)
 * counts from the low watermark too, since those messages can no longer be read.
 */
export function groupLag(ends: TopicOffsets[], committed: CommittedOffset[]): number | undefined {
  const byPartition = new Map(committed.map((c) => [c.partition, BigInt(c.offset)]));
  if (![...byPartition.values()].some((o) => o >= 0n)) return undefined;
  let lag = 0n;
  for (const end of ends) {
    const high = BigInt(end.high);
    const low = BigInt(end.low);
    const at = byPartition.get(end.partition) ?? -1n;
    const from = at < low ? low : at;
    if (high > from) lag += high - from;
  }
  return Number(lag);
}

/** The group's lag now: the topic's end offsets (`ends`) minus what the group committed. */
export async function readGroupLag(admin: Admin, target: LagTarget, ends: TopicOffsets[]): Promise<number | undefined> {
  const [fetched] = await admin.fetchOffsets({ groupId: target.group, topics: [target.topic] });
  return groupLag(ends, fetched?.partitions ?? []);
}

export const LAG_PROBE = 'consumer_lag';

export function lagProbe(opts: { admin: Admin; targets: LagTarget[]; registry: Registry }): Probe {
  const gauge = new Gauge({ name: 'upload_pulse_consumer_lag', help: 'Messages the consumer group has not consumed yet, summed over the partitions of the topic', labelNames: ['group', 'topic'], registers: [opts.registry] });
  let connected = false;

  const measure = async (target: LagTarget, ends: TopicOffsets[]): Promise<void> => {
    const lag = await readGroupLag(opts.admin, target, ends);
    if (lag === undefined) gauge.remove(target.group, target.topic);
    else gauge.set({ group: target.group, topic: target.topic }, lag);
  };

  return {
    name: LAG_PROBE,
    async run() {
      if (!connected) {
        await opts.admin.connect();
        connected = true;
      }
      const ends = new Map<string, Promise<TopicOffsets[]>>();
      const endsOf = (topic: string) => {
        if (!ends.has(topic)) ends.set(topic, opts.admin.fetchTopicOffsets(topic));
        return ends.get(topic)!;
      };
      // One group's failure (its topic missing, say) must not hide the others' lag.
      const results = await Promise.allSettled(opts.targets.map(async (t) => measure(t, await endsOf(t.topic))));
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${opts.targets[i].group} on ${opts.targets[i].topic}: ${String(r.reason)}`] : []));
      if (failed.length > 0) throw new Error(`consumer lag not measured for ${failed.join('; ')}`);
    },
  };
}
