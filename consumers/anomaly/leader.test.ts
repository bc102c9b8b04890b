import type { Consumer, EachBatchPayload } from 'kafkajs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { EWMA_DEFAULTS } from './charts';
import type { ChartOutputs } from './chart-outputs';
import { resumable } from './clock-guard';
import { createLeaderLoop } from './leader';
import { anomalyMetrics } from './metrics';
import { encodePartial, type PartialMessage } from './partials';
import { addToStats, emptyStats } from './window-stats';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 27, 12);

function windowOf(partition: number, start: number): PartialMessage {
  const global = emptyStats();
  addToStats(global, true, false, undefined);
  return { kind: 'window', partition, start, dims: new Map([['global', global]]), sellers: { tested: 0, candidates: [] }, top: [] };
}

/** The partials topic as the leader reads it: each message stamped with when its owner sent it. */
function batchOf(sent: { message: PartialMessage; at: number }[]) {
  const commits: string[] = [];
  const payload = {
    batch: {
      topic: 'partials',
      partition: 0,
      messages: sent.map(({ message, at }, i) => ({ offset: String(i), timestamp: String(at), value: encodePartial(message) })),
      lastOffset: () => String(sent.length - 1),
    },
    heartbeat: async () => undefined,
  } as unknown as EachBatchPayload;
  const consumer = { commitOffsets: async (o: { offset: string }[]) => void commits.push(o[0].offset) } as unknown as Consumer;
  return { payload, consumer, commits };
}

test('a successor re-reading the partials topic long after it was written closes the windows an idle partition no longer holds back', async () => {
  const written: number[] = [];
  const loop = createLeaderLoop({
    monitor: { partitions: 2, windowMs: MIN, minBaselineWindows: 30, sellerFdr: 0.001, topSellers: 5, ewma: EWMA_DEFAULTS },
    outputs: { write: async (w) => void written.push(w.start) } as ChartOutputs,
    metrics: anomalyMetrics(new Registry()),
    log: pino({ level: 'silent' }),
    resume: {},
    seed: async () => [],
    stillLeader: () => true,
  });
  // Partition 1 never has events: its owner says so every few seconds, after each window was sent.
  const sentAt = T0 + 5 * MIN;
  const { payload, consumer, commits } = batchOf([
    { message: windowOf(0, T0), at: sentAt },
    { message: { kind: 'idle', partition: 1, checkedAt: sentAt + 5000 }, at: sentAt + 5000 },
    { message: windowOf(0, T0 + MIN), at: sentAt + 6000 },
    { message: { kind: 'idle', partition: 1, checkedAt: sentAt + 10_000 }, at: sentAt + 10_000 },
  ]);

  // Read days later (a failover after a long outage, or a restart from the start of the topic).
  await loop.handle(payload, consumer);

  expect(written).toEqual([T0, T0 + MIN]);
  expect(commits).toEqual(['4']);
});

test('a leader whose predecessor committed a position a day ahead of the clock still charts the current windows', async () => {
  const written: number[] = [];
  const dayAhead = { closedUntil: T0 + 86_400_000 };
  const loopFrom = (resume: { closedUntil?: number }) =>
    createLeaderLoop({
      monitor: { partitions: 1, windowMs: MIN, minBaselineWindows: 30, sellerFdr: 0.001, topSellers: 5, ewma: EWMA_DEFAULTS },
      outputs: { write: async (w) => void written.push(w.start) } as ChartOutputs,
      metrics: anomalyMetrics(new Registry()),
      log: pino({ level: 'silent' }),
      resume,
      seed: async () => [],
      stillLeader: () => true,
    });
  const sent = () => batchOf([{ message: windowOf(0, T0), at: T0 + MIN }, { message: windowOf(0, T0 + MIN), at: T0 + 2 * MIN }]);

  // Resumed as committed, every window until tomorrow counts as late: nothing is charted.
  const trusting = sent();
  await loopFrom(dayAhead).handle(trusting.payload, trusting.consumer);
  expect(written).toEqual([]);

  const guarded = sent();
  await loopFrom(resumable(dayAhead, T0 + 2 * MIN, pino({ level: 'silent' }), { leader: true }) ?? {}).handle(guarded.payload, guarded.consumer);
  expect(written).toEqual([T0, T0 + MIN]);
});
