import type { UploadEvent } from '../../schemas/upload-event';
import { observe } from './observed-event';
import type { RollupRow } from './seller-history';

/** Test helper: what the storage's rollups say per seller and `unitMs` span, computed from the events. */
export function rollupRows(events: readonly UploadEvent[], unitMs: number): RollupRow[] {
  const rows = new Map<string, RollupRow>();
  for (const o of events.map(observe)) {
    if (!o.final) continue;
    const start = Math.floor(o.tsMs / unitMs) * unitMs;
    const key = `${o.seller}@${start}`;
    const row = rows.get(key) ?? { seller: o.seller, start, attempts: 0, failures: 0 };
    row.attempts += 1;
    if (o.failed) row.failures += 1;
    rows.set(key, row);
  }
  return [...rows.values()];
}
