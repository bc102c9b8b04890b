import fs from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { stringify } from 'lossless-json';

/**
 * The seller upload event: its TypeScript shape and its Avro schema. 64-bit ids and nanosecond
 * timestamps are bigint everywhere, so no hop rounds them (JavaScript numbers stop at 2^53).
 */

export const EVENT_TYPES = ['SAVE', 'UPDATE', 'ERROR'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface MediaFile { url: string; size: bigint }

export interface UploadEvent {
  id: bigint;
  event: EventType;
  attempt_id: string;
  is_created: boolean;
  origin: string;
  up_ts: bigint;
  ts: bigint;
  country: string;
  data: { company_id: bigint; info: string; media: MediaFile[] };
}

export const UPLOAD_EVENT_SCHEMA_FILE = path.join(__dirname, 'upload-event.v1.avsc');

/** The schema as registered: the file's JSON, unchanged. */
export const uploadEventSchema = (): avro.Schema => JSON.parse(fs.readFileSync(UPLOAD_EVENT_SCHEMA_FILE, 'utf8'));

// avsc packs the 8 bytes into its output before asking for the next long, so one buffer serves
// every write: a fresh one per long was a third of the encoding time.
const longBytes = Buffer.alloc(8);

/** Avro `long` read and written as bigint (avsc's default refuses values above 2^53). */
export const bigintLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    longBytes.writeBigInt64LE(n);
    return longBytes;
  },
  fromJSON: (v: unknown) => BigInt(v as string),
  toJSON: (n: bigint) => n.toString(),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/**
 * avsc options for every reader and writer of upload events. A type hook rather than avsc's
 * `registry` option: avsc adds each parsed name to that registry object, so sharing one across
 * schemas (as the registry client does) fails on the second version of a record.
 */
export const avroOptions: Partial<avro.ForSchemaOptions> = {
  // Decoded records then carry their fields only: validation walks them like parsed JSON, and the
  // helpers (clone, toBuffer, ...) would otherwise show up as unknown fields.
  omitRecordMethods: true,
  typeHook: (schema) => (schema === 'long' || (typeof schema === 'object' && (schema as { type?: unknown }).type === 'long') ? bigintLong : undefined),
};

// A copy: avsc stores the names it parses in the options object it is given.
export const uploadEventType = (): avro.Type => avro.Type.forSchema(uploadEventSchema(), { ...avroOptions });

type Schema = { name: string; type: unknown; fields?: Schema[] };

/**
 * A reader of the same records keeping only the named fields (`data.company_id` for a nested one):
 * Avro resolution skips the writer's other fields without building them.
 */
export function projectedEventType(keep: readonly string[]): avro.Type {
  const project = (record: Schema, prefix: string): Schema => ({
    ...record,
    fields: (record.fields ?? []).flatMap((f) => {
      const name = prefix + f.name;
      if (keep.includes(name)) return [f];
      if (!keep.some((k) => k.startsWith(`${name}.`))) return [];
      return [{ ...f, type: project(f.type as Schema, `${name}.`) }];
    }),
  });
  return avro.Type.forSchema(project(uploadEventSchema() as Schema, '') as avro.Schema, { ...avroOptions });
}

/** An event (or anything holding bigints) as JSON, 64-bit integers written as exact JSON numbers. */
export const eventJson = (value: unknown): string => stringify(value) ?? '';
