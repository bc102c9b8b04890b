import { COMPATIBILITY, SchemaType } from '@kafkajs/confluent-schema-registry';
import { sampleEvent } from './event-fixtures';
import { createSchemaRegistry, registerUploadEventSchema, valueSubject } from '../producers/schema-registry';
import { testStack, uniqueName } from '../test/stack-env';
import { uploadEventSchema, type UploadEvent } from './upload-event';

/** The registry (Apicurio, Confluent-compatible API) governs how the event schema may change. */

type Field = { name: string; type: unknown; default?: unknown };
type RecordSchema = { type: 'record'; name: string; fields: Field[] };
const v1Schema = uploadEventSchema() as unknown as RecordSchema;
const withField = (field: Field): RecordSchema => ({ ...v1Schema, fields: [...v1Schema.fields, field] });

test('BACKWARD compatibility: a required new field is refused, an optional one is accepted, old readers keep reading', async () => {
  const url = (await testStack()).status.components.schemaRegistry.url;
  const registry = createSchemaRegistry(url);
  const topic = uniqueName('evolution');
  const v1Id = await registerUploadEventSchema(registry, topic);

  const config = (await (await fetch(`${url}/config/${valueSubject(topic)}`)).json()) as { compatibilityLevel: string };
  expect(config.compatibilityLevel).toBe('BACKWARD');

  const incompatible = registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(withField({ name: 'seller_tier', type: 'string' })) }, { subject: valueSubject(topic) });
  await expect(incompatible).rejects.toThrow(/incompatible|409|compatib/i);

  const v2 = withField({ name: 'seller_tier', type: ['null', 'string'], default: null });
  const { id: v2Id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2) }, { subject: valueSubject(topic), compatibility: COMPATIBILITY.BACKWARD });
  expect(v2Id).not.toBe(v1Id);

  const event = sampleEvent({ attempt_id: topic });
  const written = await registry.encode(v2Id, { ...event, seller_tier: 'gold' });
  // A consumer still on v1 decodes v2 data with its own reader schema.
  const asV1 = (await registry.decode(written, { [SchemaType.AVRO]: { readerSchema: v1Schema } })) as UploadEvent;
  expect(asV1).toEqual(expect.objectContaining({ id: event.id, ts: event.ts, attempt_id: topic }));
  expect(asV1).not.toHaveProperty('seller_tier');
  // And v1 data still reads as v2 with the default filled in.
  const old = (await registry.decode(await registry.encode(v1Id, event), { [SchemaType.AVRO]: { readerSchema: v2 } })) as UploadEvent & { seller_tier: string | null };
  expect(old.seller_tier).toBeNull();
  expect(old.data.company_id).toBe(event.data.company_id);
});
