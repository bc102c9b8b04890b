import { parse } from 'lossless-json';

/**
 * Turns a request body into event candidates: one JSON object, a JSON array of them, or NDJSON
 * (one object per line). Numbers stay exact (lossless-json), for 64-bit ids and ns timestamps.
 */

export const JSON_TYPES = ['application/json'];
export const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl'];

export type ParsedBody = { ok: true; items: unknown[] } | { ok: false; status: 400 | 415; error: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(body: Buffer): string | undefined {
  try {
    return utf8.decode(body);
  } catch {
    return undefined;
  }
}

const jsonError = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function parseEventsBody(body: Buffer, contentType: string | undefined): ParsedBody {
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const ndjson = NDJSON_TYPES.includes(mediaType);
  if (!ndjson && !JSON_TYPES.includes(mediaType)) {
    return { ok: false, status: 415, error: `unsupported content type "${contentType ?? '(none)'}": send ${[...JSON_TYPES, ...NDJSON_TYPES].join(' or ')}` };
  }
  const text = decode(body);
  if (text === undefined) return { ok: false, status: 400, error: 'body is not valid UTF-8: encode text as UTF-8' };
  let items: unknown[];
  if (ndjson) {
    items = [];
    const lines = text.split('\n');
    for (const [i, line] of lines.entries()) {
      if (line.trim() === '') continue;
      try {
        items.push(parse(line));
      } catch (err) {
        return { ok: false, status: 400, error: `line ${i + 1} is not JSON: ${jsonError(err)}` };
      }
    }
  } else {
    let value: unknown;
    try {
      value = parse(text);
    } catch (err) {
      return { ok: false, status: 400, error: `body is not JSON: ${jsonError(err)}` };
    }
    items = Array.isArray(value) ? value : [value];
  }
  if (items.length === 0) return { ok: false, status: 400, error: 'no events in the body: send one event object, an array of them, or NDJSON lines' };
  return { ok: true, items };
}
