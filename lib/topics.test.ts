import type { Admin } from 'kafkajs';
import { ensureTopic, partitionCount } from './topics';

/** The retry policy of ensureTopic and partitionCount, with a stand-in admin client (unit test: no broker). */

function fakeAdmin(failures: Error[]): { admin: Admin; calls: () => number } {
  let calls = 0;
  const admin = {
    describeCluster: async () => ({ brokers: [{}, {}, {}] }),
    createTopics: async () => {
      calls += 1;
      const err = failures.shift();
      if (err) throw err;
      return true;
    },
    alterConfigs: async () => undefined,
    fetchTopicMetadata: async () => {
      calls += 1;
      const err = failures.shift();
      if (err) throw err;
      return { topics: [{ name: 't', partitions: [{}, {}, {}, {}] }] };
    },
  } as unknown as Admin;
  return { admin, calls: () => calls };
}

const retriable = () => Object.assign(new Error('This server does not host this topic-partition'), { retriable: true });

test('a topic another service just created is retried until the brokers agree', async () => {
  const { admin, calls } = fakeAdmin([retriable(), retriable()]);
  await expect(ensureTopic(admin, { topic: 't', partitions: 1, retentionMs: 1 })).resolves.toBe(true);
  expect(calls()).toBe(3);
});

test('a non-retriable error fails at once', async () => {
  const { admin, calls } = fakeAdmin([Object.assign(new Error('Topic authorization failed'), { retriable: false })]);
  await expect(ensureTopic(admin, { topic: 't', partitions: 1, retentionMs: 1 })).rejects.toThrow(/authorization/);
  expect(calls()).toBe(1);
});

test('the partition count of a topic just created is asked again until the broker knows it', async () => {
  const { admin, calls } = fakeAdmin([retriable()]);
  await expect(partitionCount(admin, 't')).resolves.toBe(4);
  expect(calls()).toBe(2);
});
