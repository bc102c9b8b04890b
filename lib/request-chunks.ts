import type { Message } from 'kafkajs';

/**
 * kafkajs sends all of a request's messages for one partition as one record batch, and the broker
 * refuses a batch over the topic's max.message.bytes (1 MiB by default) whatever it holds. A big
 * consumed batch is therefore written as several requests of bounded size, all inside the same
 * transaction. Sizes are counted uncompressed, so the bound holds with compression off too.
 */

type Bytes = Buffer | string | null | undefined;

const byteLength = (v: Bytes): number => (v === null || v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length);

const sizeOf = (m: Message): number =>
  Object.entries(m.headers ?? {}).reduce(
    (size, [name, value]) => size + Buffer.byteLength(name) + [value].flat().reduce((n: number, v: Bytes) => n + byteLength(v), 0),
    byteLength(m.key) + byteLength(m.value),
  );

/** Splits messages, in order, into runs of at most `maxBytes` (a larger message goes alone). */
export function chunkBySize(messages: Message[], maxBytes: number): Message[][] {
  const chunks: Message[][] = [];
  let chunk: Message[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = sizeOf(m);
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(m);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
