import type pino from 'pino';
import { Counter, type Registry } from 'prom-client';

/**
 * Runs measurements on a fixed interval. A failing probe is logged and counted in
 * upload_pulse_probe_errors_total{probe}; it never stops the loop or the service, because the
 * metrics it feeds are what tells an operator the pipeline is in trouble.
 */

export interface Probe {
  name: string;
  /** Throws on failure. `signal` aborts when the run exceeds its time budget. */
  run(signal: AbortSignal): Promise<void>;
}

export interface ProbeLoop {
  stop(): Promise<void>;
}

export interface ProbeLoopOptions {
  probes: Probe[];
  intervalMs: number;
  registry: Registry;
  log: pino.Logger;
  /** Time budget of one run; defaults to the interval, so a hung request cannot stall the loop. */
  timeoutMs?: number;
}

export function startProbes(opts: ProbeLoopOptions): ProbeLoop {
  const errors = new Counter({ name: 'upload_pulse_probe_errors_total', help: 'Failed runs of the maintenance probes', labelNames: ['probe'], registers: [opts.registry] });
  const timeoutMs = opts.timeoutMs ?? opts.intervalMs;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();

  const runOnce = async (probe: Probe): Promise<void> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`probe ${probe.name} took longer than ${timeoutMs} ms`)), timeoutMs);
    try {
      await Promise.race([
        probe.run(controller.signal),
        new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true })),
      ]);
      // A probe that gives up on abort may settle first, as if it had succeeded.
      if (controller.signal.aborted) throw controller.signal.reason;
    } catch (err) {
      errors.inc({ probe: probe.name });
      opts.log.warn({ err, probe: probe.name }, 'probe failed; its metrics keep their last value until the next run');
    } finally {
      clearTimeout(timer);
    }
  };

  // Each probe schedules its next run after the current one ends, so a slow probe never overlaps itself.
  const loop = (probe: Probe): void => {
    const run = runOnce(probe).finally(() => {
      inFlight.delete(run);
      if (stopped) return;
      const next = setTimeout(() => {
        timers.delete(next);
        loop(probe);
      }, opts.intervalMs);
      timers.add(next);
    });
    inFlight.add(run);
  };

  for (const probe of opts.probes) {
    // Zero from the start: rate() and increase() then see the first failure.
    errors.inc({ probe: probe.name }, 0);
    loop(probe);
  }

  return {
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.all([...inFlight]);
    },
  };
}
