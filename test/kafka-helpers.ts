import crypto from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';

/** Reading back what a test wrote: from offsets taken before it wrote, with a throwaway group. */

export type Offsets = { partition: number; offset: string }[];

export async function endOffsets(admin: Admin, topic: string): Promise<Offsets> {
  return (await admin.fetchTopicOffsets(topic)).map(({ partition, offset }) => ({ partition, offset }));
}

/** Collects messages written after `from` until `done(collected)` holds, or fails after `timeoutMs`. */
export async function collectFrom<T>(
  kafka: Kafka,
  topic: string,
  from: Offsets,
  decode: (m: KafkaMessage) => Promise<T>,
  done: (collected: T[]) => boolean,
  timeoutMs = 30000,
): Promise<T[]> {
  const consumer = kafka.consumer({ groupId: `test-reader-${crypto.randomBytes(6).toString('hex')}` });
  const collected: T[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${collected.length} messages from ${topic} in ${timeoutMs} ms, expected more`)), timeoutMs);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            collected.push(await decode(message));
            if (done(collected)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .then(() => from.forEach(({ partition, offset }) => consumer.seek({ topic, partition, offset })), reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return collected;
}
