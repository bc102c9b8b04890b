import { chunkBySize } from './request-chunks';

const msg = (bytes: number, key: string | null = null) => ({ key, value: 'x'.repeat(bytes) });

test('messages are split in order into runs within the byte bound', () => {
  const messages = [msg(40), msg(40), msg(40), msg(10), msg(90)];
  expect(chunkBySize(messages, 100).map((c) => c.map((m) => m.value?.length))).toEqual([[40, 40], [40, 10], [90]]);
});

test('keys, headers and multi-byte characters count', () => {
  const withHeaders = { key: 'k'.repeat(10), value: 'é'.repeat(20), headers: { reason: 'x'.repeat(14), many: ['ab', Buffer.alloc(6)] } }; // 10 + 40 + 6+14 + 4+8
  expect(chunkBySize([withHeaders, withHeaders], 164).length).toBe(1);
  expect(chunkBySize([withHeaders, withHeaders], 163).length).toBe(2);
});

test('a message over the bound goes alone; nothing is dropped', () => {
  expect(chunkBySize([msg(5), msg(500), msg(5)], 100).map((c) => c.length)).toEqual([1, 1, 1]);
  expect(chunkBySize([], 100)).toEqual([]);
});
