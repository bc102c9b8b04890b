import type { UploadEvent } from '../../schemas/upload-event';

/** Test helpers: the event and attempt rules the simulator must keep, checked locally. */

const TYPES = new Set(['SAVE', 'UPDATE', 'ERROR']);

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/** Every rule an upload event must satisfy; empty when the event is valid. */
export function eventProblems(e: UploadEvent): string[] {
  const p: string[] = [];
  const int64 = (v: unknown, min: bigint) => typeof v === 'bigint' && v >= min && v < 1n << 63n;
  if (!int64(e.id, 1n)) p.push(`id ${e.id}`);
  if (!TYPES.has(e.event)) p.push(`event ${e.event}`);
  if (typeof e.attempt_id !== 'string' || e.attempt_id.length < 1 || e.attempt_id.length > 128) p.push(`attempt_id ${e.attempt_id}`);
  if (typeof e.origin !== 'string' || e.origin.length < 1 || e.origin.length > 64) p.push(`origin ${e.origin}`);
  if (!int64(e.ts, 1n)) p.push(`ts ${e.ts}`);
  if (!int64(e.up_ts, 0n)) p.push(`up_ts ${e.up_ts}`);
  if (e.is_created ? e.up_ts === 0n || e.up_ts > e.ts : e.up_ts !== 0n) p.push(`is_created ${e.is_created} with up_ts ${e.up_ts}, ts ${e.ts}`);
  if (!/^[A-Z]{2}$/.test(e.country)) p.push(`country ${e.country}`);
  if (!int64(e.data.company_id, 1n)) p.push(`company_id ${e.data.company_id}`);
  if (typeof e.data.info !== 'string' || !isJson(e.data.info)) p.push(`info ${e.data.info}`);
  if (e.data.media.length > 100) p.push(`${e.data.media.length} media files`);
  for (const m of e.data.media) {
    if (typeof m.url !== 'string' || m.url.length < 1 || m.url.length > 2048) p.push(`media url ${m.url}`);
    if (!int64(m.size, 0n)) p.push(`media size ${m.size}`);
  }
  return p;
}

/**
 * Attempt structure over a prefix of the stream: UPDATEs then one final SAVE or ERROR, the same
 * item, seller, origin and country throughout, is_created only on the first event. Attempts still
 * open at the end of the prefix are checked as far as they go.
 */
export function attemptProblems(events: readonly UploadEvent[]): string[] {
  const byAttempt = new Map<string, UploadEvent[]>();
  for (const e of events) {
    const list = byAttempt.get(e.attempt_id);
    if (list === undefined) byAttempt.set(e.attempt_id, [e]);
    else list.push(e);
  }
  const p: string[] = [];
  for (const [id, list] of byAttempt) {
    const [first] = list;
    list.forEach((e, i) => {
      if (e.event !== 'UPDATE' && i !== list.length - 1) p.push(`${id}: ${e.event} is not the last event`);
      if (e.is_created && i > 0) p.push(`${id}: is_created on event ${i}`);
      if (e.id !== first.id || e.data.company_id !== first.data.company_id || e.origin !== first.origin || e.country !== first.country) {
        p.push(`${id}: event ${i} changes item, seller, origin or country`);
      }
    });
  }
  return p;
}
