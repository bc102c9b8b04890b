import { CompressionTypes, type Kafka, type Message } from 'kafkajs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createTraffic } from './simulator/model';
import { EventProducer, type EventProducerOptions } from './event-producer';

/**
 * The producer library against a scripted kafkajs: which messages go in which transaction, what a
 * caller is told when a batch fails, and that the next batch uses a new kafkajs producer.
 */

interface Txn { messages: Message[][]; compression: number[]; committed: boolean; aborted: boolean }

function scriptedKafka(failTransactions: Set<number>, failConnects = 0) {
  const producers: { transactional: boolean; connected: boolean; txns: Txn[] }[] = [];
  let txnCount = 0;
  const kafka = {
    producer(opts: { transactionalId?: string }) {
      const p = { transactional: opts.transactionalId !== undefined, connected: false, txns: [] as Txn[] };
      producers.push(p);
      return {
        connect: async () => {
          if (producers.length > 1 && failConnects-- > 0) throw new Error('Connection error: connect ECONNREFUSED');
          p.connected = true;
        },
        disconnect: async () => void (p.connected = false),
        send: async () => {
          throw new Error('not used: every test here is transactional');
        },
        transaction: async () => {
          const txn: Txn = { messages: [], compression: [], committed: false, aborted: false };
          const n = txnCount++;
          p.txns.push(txn);
          return {
            send: async ({ messages, compression }: { messages: Message[]; compression: number }) => {
              txn.messages.push(messages);
              txn.compression.push(compression);
              if (failTransactions.has(n) && txn.messages.length === 2) throw new Error('This server is not the leader for that topic-partition');
            },
            commit: async () => void (txn.committed = true),
            abort: async () => void (txn.aborted = true),
          };
        },
      };
    },
  };
  return { kafka: kafka as unknown as Kafka, producers };
}

const events = (n: number) => createTraffic({ seed: 3, start: 1_764_212_400_000_000_000n, rate: 100 }).takeUntil(1_764_212_400_000_000_000n + 60_000_000_000n).slice(0, n);

function producerOver(kafka: Kafka, extra: Partial<EventProducerOptions> = {}): EventProducer {
  return new EventProducer({
    kafka,
    registry: { getSchema: async () => ({ toBuffer: () => Buffer.from('avro') }) } as never,
    topic: 't',
    schemaId: 1,
    maxQueuedEvents: 10_000,
    maxBatch: 4,
    lingerMs: 1,
    compression: 'none',
    compressFromEvents: 1,
    sendTimeoutMs: 1000,
    transactionalId: 'gw-1',
    reconnectDelayMs: 10,
    metrics: new Registry(),
    log: pino({ level: 'silent' }),
    ...extra,
  });
}

test('a send larger than the batch limit is one transaction of several produce requests', async () => {
  const { kafka, producers } = scriptedKafka(new Set());
  const producer = producerOver(kafka);
  await producer.connect();
  await producer.send(events(10));
  await producer.close();
  expect(producers).toHaveLength(1);
  expect(producers[0].txns.map((t) => ({ sizes: t.messages.map((m) => m.length), committed: t.committed }))).toEqual([{ sizes: [4, 4, 2], committed: true }]);
});

test('a batch that fails half-way is aborted and its sends refused whole; sends are refused at once until a new producer connects', async () => {
  const { kafka, producers } = scriptedKafka(new Set([0]), 2);
  const producer = producerOver(kafka);
  await producer.connect();
  await expect(producer.send(events(6))).rejects.toThrow(/not the leader/);
  expect(producers[0].txns[0]).toMatchObject({ committed: false, aborted: true });
  await expect(producer.send(events(3))).rejects.toThrow(/Kafka unavailable since .*not the leader.*retry/);

  // Two producers fail to connect, the third does.
  for (let i = 0; i < 100 && !producers[3]?.connected; i++) await new Promise((r) => setTimeout(r, 10));
  await producer.send(events(3));
  await producer.close();
  expect(producers.map((p) => p.txns.length)).toEqual([1, 0, 0, 1]);
  expect(producers.slice(0, 3).every((p) => !p.connected)).toBe(true);
  expect(producers[3].txns.map((t) => ({ sizes: t.messages.map((m) => m.length), committed: t.committed }))).toEqual([{ sizes: [3], committed: true }]);
});

test('gzip applies to batches of at least compressFromEvents events; smaller ones go uncompressed', async () => {
  const { kafka, producers } = scriptedKafka(new Set());
  const producer = producerOver(kafka, { compression: 'gzip', compressFromEvents: 3 });
  await producer.connect();
  await producer.send(events(2));
  await producer.send(events(3));
  await producer.close();
  expect(producers[0].txns.map((t) => t.compression)).toEqual([[CompressionTypes.None], [CompressionTypes.GZIP]]);
});
