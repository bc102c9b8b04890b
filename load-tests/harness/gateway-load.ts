import autocannon from 'autocannon';

/**
 * Rate-controlled HTTP load on the gateway with autocannon. autocannon limits a connection to
 * `rate` requests per second by sending them back to back at the start of each second; one
 * instance at 1,000 requests/s is a burst every second. So a phase runs `slots` instances whose
 * seconds start 1000/slots ms apart, each with a share of the rate and a fixed `amount` of
 * requests: traffic arrives in small bursts every 100 ms (at 10 slots), like the simulator's ticks,
 * and every request sent gets its answer before the phase ends (no outcome lost at a cut-off).
 */

export interface LoadPhase {
  /** Events per second offered. */
  rate: number;
  seconds: number;
  /** Events per request. */
  batch: number;
}

export interface LoadHooks {
  /** The next request body, and a number that names the request in `answer`. */
  body(): { text: string; seq: number };
  response(status: number, latencyMs: number): void;
  /** The HTTP answer to request `seq`, with its Retry-After header if any. */
  answer?(seq: number, status: number, retryAfter: string | undefined): void;
  /** A request without an HTTP answer: a socket error or a timeout, by kind. */
  error(kind: string): void;
}

export interface PhaseTotals {
  requestsPerSecond: number;
  sent: number;
  answered: number;
  byStatus: Record<string, number>;
  /** Requests the gateway refused (4xx/5xx), by the reason in its answer, so a report says why. */
  refusals: Record<string, number>;
  errors: Record<string, number>;
  /** Requests sent without an answer (a timeout, a dropped connection, a stop): their events may or may not be in Kafka. */
  unknownOutcome: number;
  seconds: number;
  /** Epoch ms of the last answer (or error): the end of the load this phase offered. */
  lastAnswerAt: number | undefined;
  stoppedEarly: boolean;
}

export interface LoadOptions {
  url: string;
  slots?: number;
  /**
   * Requests a connection sends per second at most. A connection waits for each answer before its
   * next request, so it keeps its share only while answers take under 1/this s: 4 keeps the rate
   * up to 250 ms answers, beyond the 100 ms target, and the phase stretches only past that.
   */
  requestsPerConnection?: number;
  /** Seconds a request may wait for its answer (the gateway answers 503 after its own send timeout first). */
  timeoutS?: number;
  signal: AbortSignal;
}

const split = (total: number, parts: number, i: number) => Math.floor(total / parts) + (i < total % parts ? 1 : 0);

/** A header by its name in any case (autocannon keeps the names as the server sent them). */
export function headerOf(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const entry = Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === name);
  return entry === undefined ? undefined : String(entry[1]);
}

/** A refusal's `error` text with its numbers and times blanked, so answers with one cause count together. */
export function refusalReason(status: number, body: string): string {
  let error: unknown;
  try {
    error = (JSON.parse(body) as { error?: unknown }).error;
  } catch {
    error = body;
  }
  const text = String(error ?? '').replace(/\d[\d:.TZ-]*/g, '#').slice(0, 200);
  return `${status}: ${text}`;
}

export function errorKind(err: unknown): string {
  const e = err as { code?: string; message?: string } | undefined;
  if (e?.message?.includes('timed out')) return 'timeout';
  return e?.code ?? 'socket-error';
}

export async function runLoadPhase(phase: LoadPhase, hooks: LoadHooks, opts: LoadOptions): Promise<PhaseTotals> {
  const requestsPerSecond = Math.max(1, Math.round(phase.rate / phase.batch));
  const slots = Math.min(opts.slots ?? 10, requestsPerSecond);
  const perConnection = opts.requestsPerConnection ?? 4;
  const totals: PhaseTotals = { requestsPerSecond, sent: 0, answered: 0, byStatus: {}, refusals: {}, errors: {}, unknownOutcome: 0, seconds: 0, lastAnswerAt: undefined, stoppedEarly: false };
  const started = performance.now();
  const instances: autocannon.Instance[] = [];
  let stopped = false;
  const stopAll = () => {
    stopped = true;
    for (const i of instances) i.stop();
  };
  opts.signal.addEventListener('abort', stopAll, { once: true });
  // A phase that the gateway cannot keep up with runs longer, but not forever.
  const limit = setTimeout(stopAll, (phase.seconds * 2 + 30) * 1000);

  const slot = (k: number) =>
    new Promise<void>((resolve, reject) => {
      const rate = split(requestsPerSecond, slots, k);
      const instance = autocannon(
        {
          url: `${opts.url}/v1/events`,
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          overallRate: rate,
          amount: rate * phase.seconds,
          connections: Math.max(1, Math.ceil(rate / perConnection)),
          timeout: opts.timeoutS ?? 30,
          requests: [
            {
              // A connection waits for each answer before its next request, so its context names the request in flight.
              setupRequest: (req, context) => {
                totals.sent++;
                const body = hooks.body();
                (context as { seq?: number }).seq = body.seq;
                return { ...req, body: body.text };
              },
              onResponse: (status, body, context, headers) => {
                if (status >= 400) {
                  const reason = refusalReason(status, body);
                  totals.refusals[reason] = (totals.refusals[reason] ?? 0) + 1;
                }
                hooks.answer?.((context as { seq: number }).seq, status, headerOf(headers, 'retry-after'));
              },
            },
          ],
        },
        (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()),
      );
      instance.on('response', (_client, status, _bytes, latencyMs) => {
        totals.answered++;
        totals.lastAnswerAt = Date.now();
        totals.byStatus[status] = (totals.byStatus[status] ?? 0) + 1;
        hooks.response(status, latencyMs);
      });
      instance.on('reqError', (err) => {
        const kind = errorKind(err);
        totals.errors[kind] = (totals.errors[kind] ?? 0) + 1;
        totals.lastAnswerAt = Date.now();
        hooks.error(kind);
      });
      instances.push(instance);
      if (stopped) instance.stop();
    });

  try {
    const runs: Promise<void>[] = [];
    for (let k = 0; k < slots && !stopped; k++) {
      runs.push(slot(k));
      if (k < slots - 1) await new Promise((r) => setTimeout(r, 1000 / slots));
    }
    await Promise.all(runs);
  } finally {
    clearTimeout(limit);
    opts.signal.removeEventListener('abort', stopAll);
  }
  totals.seconds = (performance.now() - started) / 1000;
  totals.stoppedEarly = stopped;
  totals.unknownOutcome = totals.sent - totals.answered;
  return totals;
}
