import { parse } from 'lossless-json';
import { eventJson, nowNs, sampleEvent } from './event-fixtures';
import { LIMITS, validateEvent, type FieldError } from './validate-event';

/** Every malformed event is refused with an error naming the field. */

const now = nowNs();
const asReceived = (value: unknown): unknown => parse(eventJson(value));
const errorsOf = (value: unknown): FieldError[] => {
  const result = validateEvent(asReceived(value), now);
  return result.ok ? [] : result.errors;
};
const withData = (data: Record<string, unknown>) => ({ ...sampleEvent(), data: { ...sampleEvent().data, ...data } });
const without = (field: string) => Object.fromEntries(Object.entries(sampleEvent()).filter(([k]) => k !== field));

test('a valid event passes with 64-bit values exact', () => {
  const result = validateEvent(asReceived(sampleEvent()), now);
  expect(result.ok && result.event.id).toBe(1764212345123456789n);
  expect(result.ok && result.event.data.company_id).toBe(9007199254740993n);
});

test('64-bit fields are accepted as decimal strings too', () => {
  const e = sampleEvent();
  const result = validateEvent(asReceived({ ...e, id: '1764212345123456789', ts: e.ts.toString(), up_ts: e.up_ts.toString() }), now);
  expect(result.ok && result.event.id).toBe(1764212345123456789n);
});

test.each([
  ['missing field', 'attempt_id', without('attempt_id'), /is required/],
  ['wrong type', 'is_created', { ...sampleEvent(), is_created: 'yes' }, /must be true or false, got the string "yes"/],
  ['unknown enum value', 'event', { ...sampleEvent(), event: 'DELETE' }, /one of SAVE, UPDATE, ERROR/],
  ['lowercase country', 'country', { ...sampleEvent(), country: 'ru' }, /two uppercase letters/],
  ['three-letter country', 'country', { ...sampleEvent(), country: 'RUS' }, /ISO 3166-1 alpha-2/],
  ['negative timestamp', 'ts', { ...sampleEvent(), ts: -5n }, /between 1 and/],
  ['fractional timestamp', 'ts', { ...sampleEvent(), ts: 1.5 }, /JSON integer or decimal string, got the number 1.5/],
  ['timestamp over 64 bits', 'ts', { ...sampleEvent(), ts: 2n ** 64n }, /between 1 and 9223372036854775807/],
  ['future by more than a day', 'ts', { ...sampleEvent(), ts: now + LIMITS.futureSkewNs + 1n }, /more than a day in the future/],
  ['up_ts while not created', 'up_ts', { ...sampleEvent(), is_created: false }, /must be 0 when is_created is false/],
  ['no up_ts while created', 'up_ts', { ...sampleEvent(), up_ts: 0n }, /must be the creation time/],
  ['up_ts after ts', 'up_ts', { ...sampleEvent(), up_ts: now + 1n, ts: now }, /must not be after ts/],
  ['attempt_id too long', 'attempt_id', { ...sampleEvent(), attempt_id: 'a'.repeat(LIMITS.attemptIdChars + 1) }, /at most 128 characters/],
  ['empty origin', 'origin', { ...sampleEvent(), origin: '' }, /must not be empty/],
  ['unpaired surrogate', 'origin', { ...sampleEvent(), origin: 'ui\ud800' }, /valid Unicode/],
  ['data not an object', 'data', { ...sampleEvent(), data: 'x' }, /must be an object/],
  ['info not JSON', 'data.info', withData({ info: 'not json' }), /must be JSON text/],
  ['info too large', 'data.info', withData({ info: JSON.stringify('x'.repeat(LIMITS.infoBytes)) }), /at most 65536 bytes/],
  ['media not a list', 'data.media', withData({ media: {} }), /must be an array/],
  ['media list too long', 'data.media', withData({ media: Array.from({ length: LIMITS.mediaFiles + 1 }, () => ({ url: 'u', size: 1n })) }), /at most 100 files/],
  ['media size negative', 'data.media[0].size', withData({ media: [{ url: 'u', size: -1n }] }), /between 0 and/],
  ['unknown field', 'colour', { ...sampleEvent(), colour: 'red' }, /not a field of the event/],
  ['not an object', '(event)', [1, 2], /must be an event object, got an array/],
])('%s is refused, naming %s', (_name, field, value, message) => {
  const errors = errorsOf(value);
  expect(errors).toEqual(expect.arrayContaining([{ field, message: expect.stringMatching(message) }]));
});
