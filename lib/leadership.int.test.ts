import pino from 'pino';
import { eventually, testStack, uniqueName } from '../test/stack-env';
import { createKafka } from './kafka';
import { joinLeadership, type Leadership } from './leadership';

/** Leader election by rebalancing, with real consumer groups on the real broker. */

test('exactly one of three candidates leads; when it leaves, another takes over', async () => {
  const stack = await testStack();
  const name = uniqueName('election');
  const log = pino({ level: 'warn' });
  const elections: string[] = [];
  const candidates: Leadership[] = [];
  for (const id of ['a', 'b', 'c']) {
    const kafka = createKafka(`candidate-${id}`, stack.status.components.kafka.bootstrap.split(','), log);
    candidates.push(await joinLeadership({ kafka, name, log, sessionTimeoutMs: 6000, onElected: () => void elections.push(id), onRevoked: () => {} }));
  }
  const leaders = () => candidates.filter((c) => c.isLeader());
  const first = await eventually('one leader', async () => (leaders().length === 1 ? leaders()[0] : undefined), 30000);
  const firstIndex = candidates.indexOf(first);
  await first.stop();
  const second = await eventually('a new single leader', async () => (leaders().length === 1 && leaders()[0] !== first ? leaders()[0] : undefined), 30000);
  expect(candidates.indexOf(second)).not.toBe(firstIndex);
  await Promise.all(candidates.filter((c) => c !== first).map((c) => c.stop()));
  expect(elections.length).toBeGreaterThanOrEqual(2);
  expect(candidates.every((c) => !c.isLeader())).toBe(true);
});
