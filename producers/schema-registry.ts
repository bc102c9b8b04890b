import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { avroOptions, uploadEventSchema } from '../schemas/upload-event';

/** The Confluent-compatible registry client, reading and writing Avro longs as bigint. */
export function createSchemaRegistry(url: string): SchemaRegistry {
  return new SchemaRegistry({ host: url }, { [SchemaType.AVRO]: avroOptions });
}

export const valueSubject = (topic: string): string => `${topic}-value`;

/**
 * Registers the upload event schema under the topic's value subject with BACKWARD compatibility:
 * a new version must read everything written with the previous one. Returns the schema id.
 */
export async function registerUploadEventSchema(registry: SchemaRegistry, topic: string): Promise<number> {
  const { id } = await registry.register(
    { type: SchemaType.AVRO, schema: JSON.stringify(uploadEventSchema()) },
    { subject: valueSubject(topic), compatibility: COMPATIBILITY.BACKWARD },
  );
  return id;
}
