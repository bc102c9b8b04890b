import type pino from 'pino';

/**
 * Progress of one pass over a range: events done of total, rate over the last seconds, ETA.
 * `done` starts where a resumed pass left off; the rate counts only this run's work.
 */

export interface ProgressSnapshot {
  done: number;
  total: number;
  percent: number;
  /** Events per second over the recent samples (this run only); 0 until two samples exist. */
  rate: number;
  /** Seconds left at that rate; null while unknown. */
  etaSeconds: number | null;
}

const WINDOW_MS = 10_000;

export class Progress {
  private readonly samples: { at: number; done: number }[] = [];

  constructor(
    readonly total: number,
    private done = 0,
    now = Date.now(),
  ) {
    this.samples.push({ at: now, done });
  }

  advance(n: number, now = Date.now()): void {
    this.done += n;
    this.samples.push({ at: now, done: this.done });
    // Keep one sample older than the window, so the rate always spans it once it is full.
    while (this.samples.length > 2 && now - this.samples[1].at > WINDOW_MS) this.samples.shift();
  }

  snapshot(now = Date.now()): ProgressSnapshot {
    const first = this.samples[0];
    const seconds = (now - first.at) / 1000;
    const rate = seconds > 0 ? (this.done - first.done) / seconds : 0;
    const left = Math.max(0, this.total - this.done);
    return {
      done: this.done,
      total: this.total,
      percent: this.total > 0 ? Math.min(100, Math.round((1000 * this.done) / this.total) / 10) : 100,
      rate: Math.round(rate),
      etaSeconds: rate > 0 ? Math.round(left / rate) : left === 0 ? 0 : null,
    };
  }
}

/** Logs the pass's progress every `intervalMs` (JSON line "replay progress"); returns the function that stops it. */
export function logProgress(log: pino.Logger, pass: string, progress: Progress, intervalMs: number): () => void {
  const timer = setInterval(() => log.info({ pass, ...progress.snapshot() }, 'replay progress'), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
