import type { ServiceConfig } from '../lib/config';
import type { TopicSpec } from '../lib/topics';
import { LIMITS } from '../schemas/validate-event';

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
