import type avro from 'avsc';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { backOff } from 'exponential-backoff';
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
export const registerUploadEventSchema = (registry: SchemaRegistry, topic: string): Promise<number> => registerValueSchema(registry, topic, uploadEventSchema());

/**
 * Registers an Avro schema under the topic's value subject with BACKWARD compatibility. Instances
 * starting together race: the client creates the subject, then sets its compatibility; a second
 * instance in between sees the registry's default and refuses, or sets the rule too and gets 409
 * from Apicurio (the rule exists). Either tries again and then finds the subject as it should be.
 */
const racedOnCompatibility = (err: unknown): boolean =>
  err instanceof Error && (err.name === 'ConfluentSchemaRegistryCompatibilityError' || (err as { status?: unknown }).status === 409);

export async function registerValueSchema(registry: SchemaRegistry, topic: string, schema: avro.Schema): Promise<number> {
  const { id } = await backOff(
    () => registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: valueSubject(topic), compatibility: COMPATIBILITY.BACKWARD }),
    { numOfAttempts: 5, startingDelay: 200, retry: racedOnCompatibility },
  );
  return id;
}
