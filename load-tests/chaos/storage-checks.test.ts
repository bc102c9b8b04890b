import { divergentShards } from './storage-checks';

test('a shard whose replicas hold different rows is named with each replica count', () => {
  const node = (name: string, shard: number, replica: number, rowsFinal: number) => ({ node: name, shard, replica, rowsFinal });
  expect(divergentShards([node('ch-1', 1, 1, 50), node('ch-2', 1, 2, 50), node('ch-3', 2, 1, 40), node('ch-4', 2, 2, 40)])).toEqual([]);
  expect(divergentShards([node('ch-1', 1, 1, 50), node('ch-2', 1, 2, 49), node('ch-3', 2, 1, 40), node('ch-4', 2, 2, 40)])).toEqual(['shard 1: ch-1=50, ch-2=49']);
});
