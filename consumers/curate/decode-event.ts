import avro from 'avsc';
import { uploadEventType } from '../../schemas/upload-event';

/**
 * Decodes Confluent wire-format values (magic byte 0, schema id as big-endian int32, Avro body)
 * into the reader schema this stage is built against, resolving whatever writer version the
 * registry holds (BACKWARD evolution: new fields with defaults are dropped, removed ones defaulted).
 *
 * A value that can never decode throws UndecodableError, which sends it to the DLQ. Anything else
 * (registry unreachable, 5xx) throws as is: the batch fails and is retried, nothing is dead-lettered.
 */

export const UNDECODABLE_REASONS = ['bad-wire-format', 'unknown-schema', 'incompatible-schema', 'corrupt-avro'] as const;
export type UndecodableReason = (typeof UNDECODABLE_REASONS)[number];

export class UndecodableError extends Error {
  constructor(
    readonly reason: UndecodableReason,
    message: string,
  ) {
    super(message);
    this.name = 'UndecodableError';
  }
}

/** What the registry client offers: the writer schema by id (`SchemaRegistry.getSchema`). */
export type SchemaLookup = (id: number) => Promise<unknown>;

export type EventDecoder = (value: Buffer | null) => Promise<unknown>;

const HEADER_BYTES = 5;

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

const statusOf = (err: unknown): number | undefined =>
  typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number' ? err.status : undefined;

/**
 * `reader` defaults to the full event; a reader with fewer fields (same record names) decodes
 * only those, skipping the rest of each body unparsed.
 */
export function createEventDecoder(lookup: SchemaLookup, reader: avro.Type = uploadEventType()): EventDecoder {
  // One resolver per writer schema id; failures are not cached, so a registry outage heals by itself.
  const resolvers = new Map<number, Promise<avro.Resolver>>();

  const resolverFor = (id: number): Promise<avro.Resolver> => {
    let resolver = resolvers.get(id);
    if (!resolver) {
      resolver = lookup(id).then(
        (writer) => {
          if (!(writer instanceof avro.Type)) throw new UndecodableError('incompatible-schema', `schema ${id} is not an Avro schema`);
          try {
            return reader.createResolver(writer);
          } catch (err) {
            throw new UndecodableError('incompatible-schema', `schema ${id} cannot be read as ${reader.name}: ${messageOf(err)}`);
          }
        },
        (err: unknown) => {
          // 404 (error_code 40403): no schema has this id. Everything else may be transient.
          if (statusOf(err) === 404) throw new UndecodableError('unknown-schema', `schema id ${id} is not in the registry`);
          throw err;
        },
      );
      resolvers.set(id, resolver);
      resolver.catch(() => resolvers.delete(id));
    }
    return resolver;
  };

  return async (value) => {
    if (value === null || value.length < HEADER_BYTES) throw new UndecodableError('bad-wire-format', `value of ${value?.length ?? 0} bytes is shorter than the 5-byte wire-format header`);
    if (value[0] !== 0) throw new UndecodableError('bad-wire-format', `magic byte is ${value[0]}, expected 0 (Confluent wire format)`);
    const id = value.readInt32BE(1);
    const resolver = await resolverFor(id);
    try {
      return reader.fromBuffer(value.subarray(HEADER_BYTES), resolver);
    } catch (err) {
      throw new UndecodableError('corrupt-avro', `Avro body does not decode with schema ${id}: ${messageOf(err)}`);
    }
  };
}
