import avro from 'avsc';
import { sampleEvent } from '../../schemas/event-fixtures';
import { avroOptions, projectedEventType, uploadEventSchema, uploadEventType } from '../../schemas/upload-event';
import { createEventDecoder, UndecodableError, type SchemaLookup } from './decode-event';

/** The wire-format decoder against an in-memory schema lookup standing in for the registry. */

const V1 = 7;
const V2 = 8;
const JSON_SCHEMA = 9;
const v2Type = avro.Type.forSchema({ ...(uploadEventSchema() as object), fields: [...(uploadEventSchema() as { fields: object[] }).fields, { name: 'tier', type: ['null', 'string'], default: null }] } as avro.Schema, { ...avroOptions });

const notFound = Object.assign(new Error('Schema not found'), { status: 404 });
const lookup: SchemaLookup = async (id) => {
  if (id === V1) return uploadEventType();
  if (id === V2) return v2Type;
  if (id === JSON_SCHEMA) return { validate: () => true };
  throw notFound;
};

const wire = (id: number, body: Buffer): Buffer => {
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  return Buffer.concat([header, body]);
};

const event = sampleEvent({ ts: 1764212345123456789n });

const reasonOf = (p: Promise<unknown>) =>
  p.then(
    () => 'decoded',
    (err: unknown) => (err instanceof UndecodableError ? err.reason : `other: ${String(err)}`),
  );

test('decodes v1 data, 64-bit values exact', async () => {
  const decoded = (await createEventDecoder(lookup)(wire(V1, uploadEventType().toBuffer(event)))) as typeof event;
  expect(decoded.ts).toBe(1764212345123456789n);
  expect(decoded.data.company_id).toBe(event.data.company_id);
});

test('decodes data written with a newer compatible schema into the v1 shape', async () => {
  const decoded = await createEventDecoder(lookup)(wire(V2, v2Type.toBuffer({ ...event, tier: 'gold' })));
  expect(decoded).toEqual(expect.objectContaining({ id: event.id, ts: event.ts }));
  expect(decoded).not.toHaveProperty('tier');
});

test('a projected reader keeps only the fields it names, from v1 and newer writers alike', async () => {
  const decode = createEventDecoder(lookup, projectedEventType(['ts', 'country', 'data.company_id']));
  const expected = { ts: event.ts, country: event.country, data: { company_id: event.data.company_id } };
  expect({ ...((await decode(wire(V1, uploadEventType().toBuffer(event)))) as object) }).toEqual(expected);
  expect({ ...((await decode(wire(V2, v2Type.toBuffer({ ...event, tier: 'gold' })))) as object) }).toEqual(expected);
});

test('classifies what can never decode', async () => {
  const decode = createEventDecoder(lookup);
  const body = uploadEventType().toBuffer(event);
  expect(await reasonOf(decode(null))).toBe('bad-wire-format');
  expect(await reasonOf(decode(Buffer.from([0, 0, 0])))).toBe('bad-wire-format');
  expect(await reasonOf(decode(Buffer.from('{"id":1}')))).toBe('bad-wire-format');
  expect(await reasonOf(decode(wire(12345, body)))).toBe('unknown-schema');
  expect(await reasonOf(decode(wire(JSON_SCHEMA, body)))).toBe('incompatible-schema');
  expect(await reasonOf(decode(wire(V1, body.subarray(0, body.length - 3))))).toBe('corrupt-avro');
  expect(await reasonOf(decode(wire(V1, Buffer.concat([body, Buffer.from([1, 2])]))))).toBe('corrupt-avro');
});

test('a registry failure other than "not found" is not the message\'s fault: it throws as is, and is retried next time', async () => {
  let calls = 0;
  const flaky: SchemaLookup = async (id) => {
    calls += 1;
    if (calls === 1) throw Object.assign(new Error('Service Unavailable'), { status: 503 });
    return lookup(id);
  };
  const decode = createEventDecoder(flaky);
  const value = wire(V1, uploadEventType().toBuffer(event));
  expect(await reasonOf(decode(value))).toBe('other: Error: Service Unavailable');
  expect(await reasonOf(decode(value))).toBe('decoded');
  expect(await reasonOf(decode(value))).toBe('decoded');
  expect(calls).toBe(2);
});
