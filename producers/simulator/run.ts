import { setTimeout as sleep } from 'node:timers/promises';
import type { UploadEvent } from '../../schemas/upload-event';
import type { Traffic } from './model';
import type { Sink } from './sinks';

/** Drives a traffic model into a sink, paced by the wall clock or as fast as the sink allows. */

export interface SimulationOptions {
  traffic: Traffic;
  sink: Sink;
  /** Stop before the first event at or after this event time (ns)... */
  endNs?: bigint;
  /** ...or after this many events. */
  count?: number;
  pace: 'realtime' | 'max';
  batch: number;
  signal: AbortSignal;
  /** Sends in flight at once. */
  window?: number;
}

export interface SimulationSummary { events: number; wallSeconds: number; eventsPerSecond: number; stoppedEarly: boolean }

const TICK_MS = 100;
const wallNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

export async function simulate(opts: SimulationOptions): Promise<SimulationSummary> {
  const { traffic, sink, batch, signal } = opts;
  const limit = opts.count ?? Number.POSITIVE_INFINITY;
  const end = opts.endNs;
  const window = opts.window ?? 8;
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  let failure: unknown;
  const started = performance.now();

  const dispatch = async (events: UploadEvent[]) => {
    while (inFlight.size >= window) await Promise.race(inFlight);
    if (failure) throw failure;
    const p: Promise<void> = sink.send(events).then(
      () => void inFlight.delete(p),
      (err: unknown) => {
        inFlight.delete(p);
        failure ??= err;
      },
    );
    inFlight.add(p);
    sent += events.length;
  };

  // Events due (before `until`), capped by the remaining count.
  const due = (until: bigint): UploadEvent[] => {
    const out: UploadEvent[] = [];
    while (out.length < batch && sent + out.length < limit && traffic.peekTs() < until && (end === undefined || traffic.peekTs() < end)) out.push(traffic.next());
    return out;
  };
  const finished = () => sent >= limit || (end !== undefined && traffic.peekTs() >= end);

  while (!finished() && !signal.aborted) {
    const until = opts.pace === 'realtime' ? wallNs() : (end ?? BigInt(Number.MAX_SAFE_INTEGER) * 1_000_000n);
    const events = due(until);
    if (events.length > 0) await dispatch(events);
    else if (opts.pace === 'realtime') await sleep(TICK_MS);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
  const wallSeconds = (performance.now() - started) / 1000;
  return { events: sent, wallSeconds: +wallSeconds.toFixed(2), eventsPerSecond: Math.round(sent / wallSeconds), stoppedEarly: signal.aborted };
}
