import { createTraffic, type Traffic } from '../../producers/simulator/model';
import { eventJson, type UploadEvent } from '../../schemas/upload-event';

/**
 * Request bodies for the gateway, made of the simulator's events (its sellers, origins, attempts,
 * media and creation latencies), restamped to the wall clock as they are sent:
 *   - `ts` is the send time, unique and increasing over the run, so freshness is "event time to
 *     queryable" and no two events of a run share an event_key;
 *   - `up_ts` keeps the model's creation latency;
 *   - `attempt_id` is `<run tag>-<request seq>-<model attempt>`: the run's events can be counted in
 *     ClickHouse, and each request's events found (all or none must be stored);
 *   - every `markerEveryMs` one event goes to the probe seller: its `ts` is a freshness marker that
 *     ClickHouse finds through the primary index (seller_id first) at almost no cost.
 * A body is NDJSON of exactly `batch` events, so accepted events = 202 answers x batch.
 */

/** The synthetic seller that carries freshness markers; no simulated seller has this id. */
export const PROBE_SELLER = 4_242_424_242n;

export interface EventBodiesOptions {
  runTag: string;
  batch: number;
  markerEveryMs: number;
  /** The simulator's seed: 1, like the demo, gives its seller population. */
  seed?: number;
  nowMs?: () => number;
}

/** `seq`: the request's number in the run, from 0. */
export interface Body { text: string; events: number; seq: number; marker?: bigint }

export class EventBodies {
  private readonly traffic: Traffic;
  private readonly nowMs: () => number;
  private lastTs = 0n;
  private seq = 0;
  private nextMarkerMs: number;

  constructor(private readonly opts: EventBodiesOptions) {
    if (!Number.isInteger(opts.batch) || opts.batch < 1) throw new RangeError(`batch must be a positive integer, got ${opts.batch}`);
    if (!/^[a-z0-9-]{1,60}$/.test(opts.runTag)) throw new RangeError(`run tag "${opts.runTag}" must be 1-60 of [a-z0-9-]`);
    this.nowMs = opts.nowMs ?? Date.now;
    this.nextMarkerMs = this.nowMs();
    const start = BigInt(this.nextMarkerMs) * 1_000_000n;
    // A flat profile: the scenario sets the rate, the model only shapes the events.
    this.traffic = createTraffic({ seed: opts.seed ?? 1, start, diurnalAmplitude: 0, weekendFactor: 1 });
  }

  next(): Body {
    const nowMs = this.nowMs();
    const marker = nowMs >= this.nextMarkerMs;
    // On a schedule rather than `markerEveryMs` after the last one, so jitter of the send times does not thin out the markers.
    if (marker) this.nextMarkerMs = Math.max(this.nextMarkerMs + this.opts.markerEveryMs, nowMs);
    const lines: string[] = [];
    let markerTs: bigint | undefined;
    const seq = this.seq++;
    for (let i = 0; i < this.opts.batch; i++) {
      const event = this.restamp(this.traffic.next(), nowMs, seq);
      if (marker && i === 0) {
        event.data = { ...event.data, company_id: PROBE_SELLER };
        markerTs = event.ts;
      }
      lines.push(eventJson(event));
    }
    return { text: lines.join('\n'), events: this.opts.batch, seq, marker: markerTs };
  }

  private restamp(model: UploadEvent, nowMs: number, seq: number): UploadEvent {
    const wall = BigInt(nowMs) * 1_000_000n;
    const ts = wall > this.lastTs ? wall : this.lastTs + 1n;
    this.lastTs = ts;
    return { ...model, ts, up_ts: model.is_created ? ts - (model.ts - model.up_ts) : 0n, attempt_id: `${this.opts.runTag}-${seq}-${model.attempt_id}` };
  }
}
