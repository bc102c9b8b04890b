import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type pino from 'pino';
import { ensureTopic, subscribeWhenKnown } from './topics';

/**
 * Leader election by Kafka rebalancing: every candidate joins one consumer group on a topic with a
 * single partition; whoever is assigned that partition is the leader. When the leader dies, the
 * group coordinator notices within the session timeout and hands the partition to another member.
 * Leadership is given up at the start of every rebalance, so two members never act as leader at
 * once unless one is paused past its session (leader duties must therefore be idempotent).
 */

export interface Leadership {
  isLeader(): boolean;
  /** Leaves the group; a new leader is chosen at once. */
  stop(): Promise<void>;
}

export interface LeadershipOptions {
  kafka: Kafka;
  /** Names the election: topic and group are derived from it. */
  name: string;
  log: pino.Logger;
  sessionTimeoutMs?: number;
  onElected: () => void | Promise<void>;
  onRevoked: () => void | Promise<void>;
  /** Elect on this topic instead of `<name>.leader` (it must have exactly one partition). */
  topic?: string;
  /**
   * Makes the election topic the leader's input: the leader consumes it from the group's committed
   * offset and commits itself (auto-commit is off), so a successor resumes where it left off.
   */
  consume?: (payload: EachBatchPayload, consumer: Consumer) => Promise<void>;
}

export async function joinLeadership(opts: LeadershipOptions): Promise<Leadership> {
  const topic = opts.topic ?? `${opts.name}.leader`;
  if (!opts.topic) {
    const admin = opts.kafka.admin();
    await admin.connect();
    await ensureTopic(admin, { topic, partitions: 1, retentionMs: 3_600_000 });
    await admin.disconnect();
  }

  const sessionTimeout = opts.sessionTimeoutMs ?? 10_000;
  const consumer = opts.kafka.consumer({ groupId: `${opts.name}-leader`, sessionTimeout, heartbeatInterval: Math.floor(sessionTimeout / 5), rebalanceTimeout: sessionTimeout });
  let leader = false;
  // Transitions run one after another, in the order the group events arrive.
  let transitions = Promise.resolve();
  const become = (next: boolean, why: string) => {
    transitions = transitions.then(async () => {
      if (next === leader) return;
      leader = next;
      opts.log.info({ election: opts.name, leader, why }, leader ? 'elected leader' : 'no longer leader');
      try {
        await (leader ? opts.onElected() : opts.onRevoked());
      } catch (err) {
        opts.log.error({ err, election: opts.name }, 'leadership callback failed');
      }
    });
  };
  consumer.on(consumer.events.REBALANCING, () => become(false, 'rebalance started'));
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => become((payload.memberAssignment[topic] ?? []).includes(0), 'group joined'));
  consumer.on(consumer.events.CRASH, () => become(false, 'consumer crashed'));
  consumer.on(consumer.events.STOP, () => become(false, 'consumer stopped'));

  await consumer.connect();
  await subscribeWhenKnown(consumer, { topics: [topic], fromBeginning: true });
  const consume = opts.consume;
  if (consume) await consumer.run({ autoCommit: false, eachBatch: (payload) => consume(payload, consumer) });
  else await consumer.run({ eachMessage: async () => {} });
  return {
    isLeader: () => leader,
    async stop() {
      await consumer.disconnect();
      become(false, 'stopped');
      await transitions;
    },
  };
}
