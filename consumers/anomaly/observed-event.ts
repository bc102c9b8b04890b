import { projectedEventType, type UploadEvent } from '../../schemas/upload-event';

/** The part of an upload event the control charts look at. */
export interface ObservedEvent {
  /** Event time, epoch ms. */
  tsMs: number;
  seller: string;
  origin: string;
  country: string;
  /** SAVE or ERROR: the event that ends an attempt. Attempts, not events, are the trials of the failure-rate charts. */
  final: boolean;
  failed: boolean;
  /** Upload latency of a creating event (ts - up_ts), ms; other events measure none. */
  latencyMs?: number;
}

/** The raw fields observe() reads. */
export type ObservedFields = Pick<UploadEvent, 'ts' | 'origin' | 'country' | 'event' | 'is_created' | 'up_ts'> & { data: Pick<UploadEvent['data'], 'company_id'> };

/** Decodes only the fields above: the worker skips ids, attempt ids, info text and media (half the decoding time). */
export const observedFieldsType = () => projectedEventType(['ts', 'origin', 'country', 'event', 'is_created', 'up_ts', 'data.company_id']);

export function observe(e: ObservedFields): ObservedEvent {
  return {
    tsMs: Number(e.ts / 1_000_000n),
    seller: e.data.company_id.toString(),
    origin: e.origin,
    country: e.country,
    final: e.event !== 'UPDATE',
    failed: e.event === 'ERROR',
    ...(e.is_created ? { latencyMs: Number(e.ts - e.up_ts) / 1e6 } : {}),
  };
}
