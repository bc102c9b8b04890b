import type pino from 'pino';

/**
 * Validation lets a seller's clock run a day ahead. The charts leave such events out: one would push
 * the watermark past every other partition's minute. For the same reason a committed chart position
 * ahead of the clock (written before this guard existed, or by a host whose clock was wrong) is not
 * resumed from: every event until that instant would count as late, so nothing would be charted.
 */
export const FUTURE_TOLERANCE_MS = 60_000;

export const aheadOfClock = (tsMs: number, nowMs: number): boolean => tsMs > nowMs + FUTURE_TOLERANCE_MS;

/** The committed position, or undefined (with a warning) when it is ahead of the clock. */
export function resumable<T extends { closedUntil?: number }>(position: T | undefined, nowMs: number, log: pino.Logger, fields: Record<string, unknown>): T | undefined {
  if (position?.closedUntil === undefined || !aheadOfClock(position.closedUntil, nowMs)) return position;
  log.warn(
    { ...fields, closedUntil: new Date(position.closedUntil).toISOString() },
    'committed chart position is ahead of the clock; not resumed from: windows start afresh from the next event',
  );
  return undefined;
}
