import { sampleEvent } from './event-fixtures';
import { uploadEventType } from './upload-event';

test('Avro round trip keeps 64-bit values exact, at the int64 limits too', () => {
  const writer = uploadEventType();
  const reader = uploadEventType(); // parsing the schema twice must work: avsc keeps names per options object
  const extreme = sampleEvent({ id: 2n ** 63n - 1n, ts: 1764212345123456789n, up_ts: 1764212345123456788n });
  const back = reader.fromBuffer(writer.toBuffer(extreme));
  expect(back.id).toBe(9223372036854775807n);
  expect(back.ts).toBe(1764212345123456789n);
  expect(back.data.media[0].size).toBe(120000n);
});

test('a JavaScript number where a long belongs is refused, not rounded', () => {
  expect(() => uploadEventType().toBuffer({ ...sampleEvent(), id: 1764212345123456789 })).toThrow();
});
