import { isLosslessNumber } from 'lossless-json';
import { z } from 'zod';
import { EVENT_TYPES, type UploadEvent } from './upload-event';

/**
 * Validation of upload events as sellers send them (JSON parsed by lossless-json, so 64-bit
 * numbers arrive as exact decimal text). Every error names the field and what would fix it.
 */

export const LIMITS = {
  attemptIdChars: 128,
  originChars: 64,
  infoBytes: 64 * 1024,
  urlChars: 2048,
  mediaFiles: 100,
  /** Event time may run ahead of the receiving clock by at most this (clock skew), in ns. */
  futureSkewNs: 24n * 3600n * 1_000_000_000n,
} as const;

const INT64_MAX = (1n << 63n) - 1n;

export interface FieldError { field: string; message: string }

const required = (expected: string) => (iss: { input: unknown }) =>
  iss.input === undefined ? 'is required' : `must be ${expected}, got ${describe(iss.input)}`;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (isLosslessNumber(v)) return `the number ${v.value}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return /^[aeiou]/.test(typeof v) ? `an ${typeof v}` : `a ${typeof v}`;
}

/**
 * 64-bit integer given as a JSON number or a decimal string; read exactly, as bigint. A bigint is
 * taken as it is: Avro-decoded events (the curate stage) carry their longs as bigints already.
 */
const int64 = (min: bigint, what: string) =>
  z.unknown().transform((v, ctx) => {
    if (v === undefined) {
      ctx.addIssue({ code: 'custom', message: 'is required' });
      return z.NEVER;
    }
    let n: bigint;
    if (typeof v === 'bigint') n = v;
    else {
      const text = isLosslessNumber(v) ? v.value : typeof v === 'string' ? v.trim() : undefined;
      if (text === undefined || !/^-?\d+$/.test(text)) {
        ctx.addIssue({ code: 'custom', message: `must be ${what} as a JSON integer or decimal string, got ${describe(v)}` });
        return z.NEVER;
      }
      n = BigInt(text);
    }
    if (n < min || n > INT64_MAX) {
      ctx.addIssue({ code: 'custom', message: `must be ${what} between ${min} and ${INT64_MAX}, got ${n}` });
      return z.NEVER;
    }
    return n;
  });

const text = (maxChars: number) =>
  z
    .string({ error: required('a string') })
    .min(1, 'must not be empty')
    .max(maxChars, `must be at most ${maxChars} characters`)
    .refine((s) => s.isWellFormed(), 'must be valid Unicode (it has an unpaired surrogate escape)');

const media = z.strictObject(
  {
    url: text(LIMITS.urlChars),
    size: int64(0n, 'a size in bytes'),
  },
  { error: required('an object {url, size}') },
);

const eventSchema = z.strictObject(
  {
    id: int64(1n, 'a positive item id'),
    event: z.enum(EVENT_TYPES, { error: (iss) => (iss.input === undefined ? 'is required' : `must be one of ${EVENT_TYPES.join(', ')}, got ${describe(iss.input)}`) }),
    attempt_id: text(LIMITS.attemptIdChars),
    is_created: z.boolean({ error: required('true or false') }),
    origin: text(LIMITS.originChars),
    up_ts: int64(0n, 'nanoseconds since epoch (0 when is_created is false)'),
    ts: int64(1n, 'nanoseconds since epoch'),
    country: z.string({ error: required('a string') }).regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code: two uppercase letters, e.g. "RU"'),
    data: z.strictObject(
      {
        company_id: int64(1n, 'a positive seller id'),
        info: z
          .string({ error: required('a string of JSON text') })
          .refine((s) => Buffer.byteLength(s) <= LIMITS.infoBytes, `must be at most ${LIMITS.infoBytes} bytes`)
          .refine((s) => s.isWellFormed(), 'must be valid Unicode (it has an unpaired surrogate escape)')
          .refine(isJsonText, 'must be JSON text, e.g. "{\\"title\\":\\"...\\"}"'),
        media: z.array(media, { error: required('an array of {url, size}') }).max(LIMITS.mediaFiles, `must list at most ${LIMITS.mediaFiles} files`),
      },
      { error: required('an object {company_id, info, media}') },
    ),
  },
  { error: required('an event object') },
);

function isJsonText(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

export type ValidationResult = { ok: true; event: UploadEvent } | { ok: false; errors: FieldError[] };

const fieldOf = (path: PropertyKey[]): string => path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') || '(event)';

/** Validates one event as received; `nowNs` is the receiver's clock for the future-skew check. */
export function validateEvent(input: unknown, nowNs: bigint): ValidationResult {
  const parsed = eventSchema.safeParse(input);
  if (!parsed.success) {
    const errors = parsed.error.issues.flatMap((iss): FieldError[] =>
      iss.code === 'unrecognized_keys'
        ? iss.keys.map((k) => ({ field: fieldOf([...iss.path, k]), message: 'is not a field of the event; check its spelling (field names are snake_case)' }))
        : [{ field: fieldOf(iss.path), message: iss.message }],
    );
    return { ok: false, errors };
  }
  const event = parsed.data;
  const errors: FieldError[] = [];
  if (event.ts > nowNs + LIMITS.futureSkewNs) errors.push({ field: 'ts', message: 'is more than a day in the future; timestamps are nanoseconds since epoch, UTC' });
  if (!event.is_created && event.up_ts !== 0n) errors.push({ field: 'up_ts', message: 'must be 0 when is_created is false' });
  if (event.is_created && event.up_ts === 0n) errors.push({ field: 'up_ts', message: 'must be the creation time (ns) when is_created is true' });
  if (event.up_ts > event.ts) errors.push({ field: 'up_ts', message: 'must not be after ts (creation precedes the event that reports it)' });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, event };
}
