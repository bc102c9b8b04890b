import type { Admin } from 'kafkajs';
import type pino from 'pino';
import type { ServiceConfig } from '../../lib/config';
import { ensureTopic, partitionCount, type TopicSpec } from '../../lib/topics';
import { uploadEventsTopic } from '../../producers/topics';

/** The topics the curate stage reads and writes, created or brought to spec at start. */

export const DLQ_RETENTION_MS = 30 * 24 * 3_600_000;
export const DLQ_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export function curateTopicSpecs(config: ServiceConfig, rawPartitions: number): { curated: TopicSpec; dlq: TopicSpec } {
  return {
    // Same partitions and key (the seller) as the raw topic, and event-time timestamps as there.
    curated: { ...uploadEventsTopic(config, config.topics.curated), partitions: rawPartitions },
    // Dead letters wait for a person to look: kept a month, stamped with the time they were
    // dead-lettered. A dead letter carries a raw value the raw topic took compressed; room for it
    // whole, so one oversized message cannot stall its partition.
    dlq: { topic: config.topics.dlq, partitions: rawPartitions, retentionMs: DLQ_RETENTION_MS, config: { 'max.message.bytes': String(DLQ_MAX_MESSAGE_BYTES) } },
  };
}

/** Ensures the raw, curated and DLQ topics; returns the raw topic's partition count. */
export async function ensureCurateTopics(admin: Admin, config: ServiceConfig, log: pino.Logger): Promise<number> {
  const raw = uploadEventsTopic(config);
  // The gateway creates the raw topic too; whichever starts first does, so start order does not matter.
  if (await ensureTopic(admin, raw)) log.info({ topic: raw.topic }, 'created topic');
  const rawPartitions = await partitionCount(admin, raw.topic);
  for (const spec of Object.values(curateTopicSpecs(config, rawPartitions))) {
    if (await ensureTopic(admin, spec)) log.info({ topic: spec.topic, partitions: spec.partitions }, 'created topic');
  }
  return rawPartitions;
}
