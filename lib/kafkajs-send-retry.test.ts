/**
 * kafkajs 2.2.4 kept one produce response per broker across retries: a partition whose leader moved
 * to a broker that had already answered was never sent again, yet send() resolved (the broker-kill
 * fault lost 30 acknowledged events this way). patches/kafkajs+2.2.4.patch keeps acknowledgements
 * per partition instead. These tests drive kafkajs's own sendMessages with a scripted cluster.
 */
const sendMessagesFactory = require('kafkajs/src/producer/sendMessages') as (deps: object) => (req: object) => Promise<{ partition: number }[]>;
const createRetry = require('kafkajs/src/retry') as (opts: object) => unknown;
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode: (code: number) => Error };

const NOT_LEADER_FOR_PARTITION = 6;
const TOPIC = 't';

interface ProduceCall { nodeId: number; partitions: { partition: number; firstSequence: number; messages: unknown[] }[] }

function scriptedCluster(leaders: Record<number, number>, failOnce: Set<number>, delayMs: Record<number, number> = {}) {
  const calls: ProduceCall[] = [];
  const brokers = new Map<number, object>();
  const brokerFor = (nodeId: number) => {
    if (!brokers.has(nodeId)) {
      brokers.set(nodeId, {
        nodeId,
        async produce({ topicData }: { topicData: { topic: string; partitions: ProduceCall['partitions'] }[] }) {
          const partitions = topicData.flatMap((t) => t.partitions).map((p) => ({ partition: p.partition, firstSequence: p.firstSequence, messages: p.messages }));
          calls.push({ nodeId, partitions });
          await new Promise((resolve) => setTimeout(resolve, delayMs[nodeId] ?? 0));
          if (failOnce.delete(nodeId)) throw createErrorFromCode(NOT_LEADER_FOR_PARTITION);
          return { topics: [{ topicName: TOPIC, partitions: partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: '0' })) }] };
        },
      });
    }
    return brokers.get(nodeId)!;
  };
  const cluster = {
    refreshMetadataIfNecessary: async () => undefined,
    refreshMetadata: async () => undefined,
    addMultipleTargetTopics: async () => undefined,
    isConnected: () => true,
    removeBroker: () => undefined,
    findTopicPartitionMetadata: () => Object.entries(leaders).map(([p, leader]) => ({ partitionId: Number(p), leader })),
    findLeaderForPartitions: (_topic: string, partitions: string[]) =>
      partitions.reduce<Record<number, number[]>>((acc, p) => {
        (acc[leaders[Number(p)]] ??= []).push(Number(p));
        return acc;
      }, {}),
    findBroker: async ({ nodeId }: { nodeId: string }) => brokerFor(Number(nodeId)),
  };
  return { cluster, calls };
}

function sequences() {
  const next = new Map<number, number>();
  return {
    isTransactional: () => false,
    acquireBrokerLock: async () => undefined,
    releaseBrokerLock: async () => undefined,
    getSequence: (_t: string, p: number) => next.get(p) ?? 0,
    updateSequence: (_t: string, p: number, n: number) => next.set(p, (next.get(p) ?? 0) + n),
    getTransactionalId: () => undefined,
    getProducerId: () => 1,
    getProducerEpoch: () => 0,
  };
}

// Messages carry their partition, as the project's partitioning by seller key would fix it.
const messages = [0, 0, 1, 2].map((partition, i) => ({ partition, value: `m${i}` }));
const send = (cluster: object) =>
  sendMessagesFactory({
    logger: { debug: () => undefined, error: () => undefined },
    cluster,
    partitioner: ({ message }: { message: { partition: number } }) => message.partition,
    eosManager: sequences(),
    retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 2 }),
  })({ acks: -1, timeout: 1000, compression: 0, topicMessages: [{ topic: TOPIC, messages }] });

test('a partition that moved to a broker which had already answered is sent there on the retry', async () => {
  // Partitions 0 and 2 on broker 1, partition 1 on broker 2; broker 2 loses leadership to broker 1.
  const leaders: Record<number, number> = { 0: 1, 1: 2, 2: 1 };
  const { cluster, calls } = scriptedCluster(leaders, new Set([2]));
  cluster.refreshMetadata = async () => {
    leaders[1] = 1;
  };

  const acks = await send(cluster);

  const delivered = calls.filter((c) => !(c.nodeId === 2)).flatMap((c) => c.partitions.map((p) => p.partition));
  expect(delivered.sort()).toEqual([0, 1, 2]);
  expect(acks.map((a) => a.partition).sort()).toEqual([0, 1, 2]);
});

test('a retry resends only the partitions without an acknowledgement, with their first sequence', async () => {
  const { cluster, calls } = scriptedCluster({ 0: 1, 1: 2, 2: 1 }, new Set([2]));

  await send(cluster);

  expect(calls.map((c) => [c.nodeId, c.partitions.map((p) => [p.partition, p.firstSequence, p.messages.length])])).toEqual([
    [1, [[0, 0, 2], [2, 0, 1]]],
    [2, [[1, 0, 1]]],
    [2, [[1, 0, 1]]],
  ]);
});

test('a retry waits for the answers still outstanding, so a slow broker\'s partitions are not sent twice', async () => {
  const { cluster, calls } = scriptedCluster({ 0: 1, 1: 2, 2: 1 }, new Set([2]), { 1: 50 });

  await send(cluster);

  expect(calls.filter((c) => c.nodeId === 1)).toHaveLength(1);
  expect(calls.filter((c) => c.nodeId === 2)).toHaveLength(2);
});
