import { createLogger } from '../../lib/logger';
import { runningStack } from '../bench-env';
import { curatePause, kafkaDown, type Fault } from './faults';
import { runChaos } from './run-chaos';

/**
 * Two of the scripted faults, short, under load through the stack's gateway (RATE): all of Kafka
 * killed and restarted (503 with Retry-After while it is down, nothing written in part, nothing lost),
 * and a curate worker paused past its session timeout while a second one runs. Every check of the
 * verdict must pass (run-chaos.ts lists them), and the stack is healthy after. kafka-down gets 30 s
 * of load before (freshness must return to its level then) and 40 s after: on the saturated 2-core
 * cluster topology freshness takes that long to come back. The other faults are
 * `npm run chaos -- all` (README, "Scripted faults"), left out of CI for its time budget.
 */

jest.setTimeout(600_000);

const log = createLogger('chaos');

// The cluster topology (20 processes) serves about 500 events/s on this machine's 2 cores; offered
// 1,000, answers slowed until the load phase hit its time cap with requests unanswered.
const RATE = { single: 1000, cluster: 500 };

async function verdictOf(fault: Fault, t: { before: number; fault: number; after: number }) {
  const { topology } = await runningStack();
  const result = await runChaos(fault, { rate: RATE[topology], beforeSeconds: t.before, faultSeconds: t.fault, afterSeconds: t.after, drainSeconds: 180, signal: new AbortController().signal, log, command: 'jest load-tests/chaos/chaos.int.test.ts' });
  // Every component answers again before the next test file uses the stack.
  await runningStack();
  return result;
}

test('every Kafka broker killed under load: 503 with Retry-After while down, nothing lost, doubled or written in part', async () => {
  const result = await verdictOf(kafkaDown(), { before: 30, fault: 15, after: 40 });
  expect(result.checks.filter((c) => !c.ok)).toEqual([]);
  expect(result.outcome.events.accepted).toBeGreaterThan(10_000);
  expect(result.outcome.events.stored).toBeGreaterThanOrEqual(result.outcome.events.accepted);
  expect(result.outcome.requests.refused['503']).toBeGreaterThan(0);
});

test('a curate worker paused past its session timeout: its partitions move to the other and come back, nothing lost or doubled', async () => {
  const result = await verdictOf(curatePause(), { before: 10, fault: 20, after: 20 });
  expect(result.checks.filter((c) => !c.ok)).toEqual([]);
  expect(result.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['partitions move to the running worker', 'partitions come back', 'the resumed worker is discovered again']));
});
