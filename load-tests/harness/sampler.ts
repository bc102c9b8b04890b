import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsumerLags } from './consumer-lags';
import os from 'node:os';
import { MachineCpu, type ProcessUsage } from './process-usage';
import { distribution, FloatLog } from './stats';

/**
 * Records, every second: the ingest latency percentiles of the answers received in that second,
 * accepted events, failures by kind, the lag of every consumer group and CPU and RSS of every
 * process. Every latency is also kept whole, per phase, for the run's own percentiles.
 */

export interface Sample {
  /** Seconds since the sampler started, at the end of the interval. */
  t: number;
  at: number;
  phase: string;
  /** Events/s the load phase offers; 0 outside load. */
  offeredRate: number;
  answered: number;
  acceptedEvents: number;
  latencyMs: { p50?: number; p95?: number; p99?: number; max?: number } | null;
  /** Requests that failed in the interval, by kind: `http-<status>` for any answer but 202, else the socket error (timeout, ECONNREFUSED, ...). */
  errors: Record<string, number>;
  /** Messages not yet consumed by each group; null where it could not be read. */
  lag: Record<string, number | null>;
  cpuPercent: Record<string, number | null>;
  rssBytes: Record<string, number | null>;
  /** Every process on the machine, ours or another's: 100 per busy core. */
  machineCpuPercent: number | null;
}

export const ACCEPTED = 202;

export class Sampler {
  readonly samples: Sample[] = [];
  readonly latencies = new Map<string, FloatLog>();
  private phase = 'idle';
  private offeredRate = 0;
  private answered = 0;
  private accepted = 0;
  private current: number[] = [];
  private errors: Record<string, number> = {};
  private stopping = false;
  private loop: Promise<void> | undefined;
  private lagReading: Promise<Record<string, number | null>> | undefined;
  private readonly started = Date.now();
  private readonly machine = new MachineCpu(os.cpus().length);

  constructor(private readonly sources: { lags: ConsumerLags; usage: ProcessUsage; intervalMs?: number }) {}

  setPhase(name: string, offeredRate: number): void {
    this.phase = name;
    this.offeredRate = offeredRate;
  }

  get currentPhase(): string {
    return this.phase;
  }

  response(status: number, latencyMs: number, events: number): void {
    this.answered++;
    this.current.push(latencyMs);
    let log = this.latencies.get(this.phase);
    if (!log) this.latencies.set(this.phase, (log = new FloatLog()));
    log.push(latencyMs);
    if (status === ACCEPTED) this.accepted += events;
    else this.error(`http-${status}`);
  }

  error(kind: string): void {
    this.errors[kind] = (this.errors[kind] ?? 0) + 1;
  }

  start(): void {
    const interval = this.sources.intervalMs ?? 1000;
    this.loop ??= (async () => {
      await this.sources.usage.read();
      this.machine.read();
      let next = Date.now() + interval;
      while (!this.stopping) {
        await sleep(Math.max(0, next - Date.now()));
        next += interval;
        await this.sample();
      }
    })();
  }

  async stop(): Promise<Sample[]> {
    this.stopping = true;
    await this.loop;
    return this.samples;
  }

  private async sample(): Promise<void> {
    const at = Date.now();
    const latencies = this.current;
    const base = { t: Math.round((at - this.started) / 100) / 10, at, phase: this.phase, offeredRate: this.offeredRate, answered: this.answered, acceptedEvents: this.accepted, errors: this.errors };
    this.current = [];
    this.answered = 0;
    this.accepted = 0;
    this.errors = {};
    // A lag reading slower than the interval (a busy broker) is not waited for: that second has none.
    this.lagReading ??= this.sources.lags.read().finally(() => (this.lagReading = undefined));
    const lagReady = await Promise.race([this.lagReading, sleep(500).then(() => undefined)]);
    const usage = await this.sources.usage.read();
    const machineCpuPercent = this.machine.read();
    const d = distribution(latencies);
    this.samples.push({
      ...base,
      latencyMs: d.n > 0 ? { p50: d.p50, p95: d.p95, p99: d.p99, max: d.max } : null,
      lag: lagReady ?? Object.fromEntries(this.sources.lags.groups.map((g) => [g, null])),
      cpuPercent: Object.fromEntries(Object.entries(usage).map(([name, r]) => [name, r.cpuPercent])),
      rssBytes: Object.fromEntries(Object.entries(usage).map(([name, r]) => [name, r.rssBytes])),
      machineCpuPercent,
    });
  }
}
