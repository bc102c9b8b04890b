import { loadEnv, serviceConfig } from '../../lib/config';
import { uploadEventsTopic } from '../../producers/topics';
import { curateTopicSpecs, DLQ_MAX_MESSAGE_BYTES, DLQ_RETENTION_MS } from './topics';

test('the curated topic mirrors the raw one; the DLQ keeps dead letters a month', () => {
  const config = serviceConfig(loadEnv({ CURATED_TOPIC: 'c', DLQ_TOPIC: 'd', TOPIC_RETENTION_HOURS: '168' }));
  const { curated, dlq } = curateTopicSpecs(config, 6);
  // Same partition count as the raw topic actually has (not the configured default), same event-time timestamp limits.
  expect(curated).toEqual({ ...uploadEventsTopic(config, 'c'), partitions: 6 });
  expect(dlq).toEqual({ topic: 'd', partitions: 6, retentionMs: DLQ_RETENTION_MS, config: { 'max.message.bytes': String(DLQ_MAX_MESSAGE_BYTES) } });
  expect(DLQ_RETENTION_MS).toBe(30 * 24 * 3600 * 1000);
});
