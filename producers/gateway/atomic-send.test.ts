import { sampleEvent } from '../../schemas/event-fixtures';
import type { UploadEvent } from '../../schemas/upload-event';
import { atomicSend, onePartitionBatch } from './atomic-send';

const of = (...sellers: bigint[]) => sellers.map((company_id) => sampleEvent({ data: { company_id, info: '{}', media: [] } }));

test('a request is one partition batch when its events share the seller and fit one batch', () => {
  expect(onePartitionBatch(of(7n), 5000)).toBe(true);
  expect(onePartitionBatch(of(7n, 7n, 7n), 3)).toBe(true);
  expect(onePartitionBatch(of(7n, 7n, 7n), 2)).toBe(false);
  expect(onePartitionBatch(of(7n, 8n), 5000)).toBe(false);
});

test('one-seller requests go to the direct producer, others to the transactional one', async () => {
  const sent: [string, number][] = [];
  const sender = (name: string) => ({ send: async (events: UploadEvent[]) => void sent.push([name, events.length]) });
  const send = atomicSend(sender('direct'), sender('transactional'), 2);
  await send(of(1n));
  await send(of(1n, 2n));
  await send(of(3n, 3n, 3n));
  expect(sent).toEqual([['direct', 1], ['transactional', 2], ['transactional', 3]]);
});
