import { eventKey } from '../../schemas/curated-event';
import { sampleEvent } from '../../schemas/event-fixtures';
import { uploadEventType, type UploadEvent } from '../../schemas/upload-event';
import { curateBatch, DLQ_HEADERS, type BatchInput, type SourceMessage } from './curate-batch';
import { UndecodableError, type EventDecoder } from './decode-event';

/** The fake decoder reads a value as the name of a prepared event; unknown names are undecodable. */

const NOW_MS = 1764212400000; // 2025-11-27T03:00:00Z
const TS = 1764212345123456789n;

function fixture(events: Record<string, UploadEvent>): EventDecoder {
  return async (value) => {
    const event = value && events[value.toString()];
    if (!event) throw new UndecodableError('bad-wire-format', `no event named ${String(value)}`);
    return event;
  };
}

const message = (name: string, offset: number): SourceMessage => ({ offset: String(offset), key: Buffer.from('42'), value: Buffer.from(name), timestamp: '1764212345123' });

function run(decode: EventDecoder, names: string[], overrides: Partial<BatchInput> = {}) {
  return curateBatch({ topic: 'raw', partition: 3, messages: names.map((n, i) => message(n, 100 + i)), decode, alreadyCurated: () => false, nowMs: NOW_MS, ...overrides });
}

const valid = sampleEvent({ ts: TS, up_ts: TS - 800_000_000n, attempt_id: 'a-1', data: { company_id: 9007199254740993n, info: '{}', media: [] } });

test('a valid event becomes one curated row: seller key, event-time timestamp, exact 64-bit JSON', async () => {
  const out = await run(fixture({ valid }), ['valid']);
  expect(out.stats).toEqual({ consumed: 1, curated: 1, duplicates: 0, dlq: {} });
  expect(out.dlq).toEqual([]);
  expect(out.curated).toHaveLength(1);
  const [row] = out.curated;
  expect(row.key).toBe('9007199254740993');
  expect(row.timestamp).toBe('1764212345123');
  expect(row.value).toContain('"ts":1764212345123456789');
  expect(row.value).toContain(`"event_key":${eventKey(valid)}`);
  expect(out.curatedKeys).toEqual([eventKey(valid)]);
});

test('an invalid event goes to the DLQ with the field and the original bytes', async () => {
  const lower = { ...valid, country: 'ru' };
  const future = { ...valid, attempt_id: 'future', ts: BigInt(NOW_MS + 2 * 86_400_000) * 1_000_000n };
  const out = await run(fixture({ lower, future }), ['lower', 'future']);
  expect(out.curated).toEqual([]);
  expect(out.stats.dlq).toEqual({ 'invalid-event': 2 });
  const [first, second] = out.dlq;
  expect(first.value).toEqual(Buffer.from('lower'));
  expect(first.key).toEqual(Buffer.from('42'));
  expect(first.headers).toEqual({
    [DLQ_HEADERS.reason]: 'invalid-event',
    [DLQ_HEADERS.detail]: expect.stringMatching(/^country: must be an ISO 3166-1 alpha-2 code/),
    [DLQ_HEADERS.sourceTopic]: 'raw',
    [DLQ_HEADERS.partition]: '3',
    [DLQ_HEADERS.offset]: '100',
    [DLQ_HEADERS.sourceTimestamp]: '1764212345123',
  });
  // The future-skew check runs against the given wall clock.
  expect(second.headers?.[DLQ_HEADERS.detail]).toMatch(/^ts: is more than a day in the future/);
});

test('an undecodable value goes to the DLQ with the decoder reason', async () => {
  const out = await run(fixture({ valid }), ['garbage', 'valid']);
  expect(out.stats).toEqual({ consumed: 2, curated: 1, duplicates: 0, dlq: { 'bad-wire-format': 1 } });
  expect(out.dlq[0].headers?.[DLQ_HEADERS.reason]).toBe('bad-wire-format');
  expect(out.dlq[0].headers?.[DLQ_HEADERS.detail]).toBe('no event named garbage');
  expect(out.dlq[0].value).toEqual(Buffer.from('garbage'));
});

test('duplicates within the batch and within the window are dropped and counted; only new keys are returned', async () => {
  const seen = { ...valid, attempt_id: 'seen-before' };
  const other = { ...valid, attempt_id: 'a-2' };
  const out = await run(fixture({ valid, seen, other }), ['valid', 'seen', 'valid', 'other', 'valid'], { alreadyCurated: (k) => k === eventKey(seen) });
  expect(out.stats).toEqual({ consumed: 5, curated: 2, duplicates: 3, dlq: {} });
  expect(out.curatedKeys).toEqual([eventKey(valid), eventKey(other)]);
});

test('a decoder failure that is not about the message fails the whole batch: nothing is dead-lettered', async () => {
  const down: EventDecoder = async () => {
    throw new Error('registry unreachable');
  };
  await expect(run(down, ['valid'])).rejects.toThrow('registry unreachable');
});

test('an Avro-decoded record (a class instance with bigint longs) is validated and curated as it is', async () => {
  const type = uploadEventType();
  const decoded = type.fromBuffer(type.toBuffer(valid)) as UploadEvent;
  expect(decoded.constructor).not.toBe(Object);
  const out = await run(fixture({ decoded, tooBig: type.fromBuffer(type.toBuffer({ ...valid, id: 0n })) as UploadEvent }), ['decoded', 'tooBig']);
  expect(out.stats).toEqual({ consumed: 2, curated: 1, duplicates: 0, dlq: { 'invalid-event': 1 } });
  expect(out.curated[0].value).toContain('"seller_id":9007199254740993');
  expect(out.dlq[0].headers?.[DLQ_HEADERS.detail]).toBe('id: must be a positive item id between 1 and 9223372036854775807, got 0');
});
