import type { ChildProcess } from 'node:child_process';
import type { StackLayout } from '../../stack/layout';
import { runningPid, startProcess, waitHealthy, type ProcessSpec } from '../../stack/processes';
import { startGroups } from '../../stack/stack';
import { freePort, spawnService } from '../../test/child-service';

/**
 * What a fault does to the running stack: signals to one instance's process group (a JVM behind
 * its wrapper script goes with it), a restart through the stack's own start and health probe, and
 * extra instances of a project service (a standby that takes over partitions) on ports of their own.
 */

export function stackInstance(layout: StackLayout, name: string): ProcessSpec {
  const spec = startGroups(layout).flat().find((s) => s.name === name);
  if (!spec) throw new Error(`the ${layout.topology} stack has no instance named ${name}`);
  return spec;
}

export function signalInstance(spec: ProcessSpec, signal: NodeJS.Signals): void {
  const pid = runningPid(spec);
  if (pid === undefined) throw new Error(`${spec.name} is not running: 'npm run stack:up' starts it`);
  process.kill(-pid, signal);
}

/** Starts a killed instance again and waits for its health probe (it keeps its data directory). */
export async function restartInstance(spec: ProcessSpec, layout: StackLayout): Promise<void> {
  await startProcess(spec);
  await waitHealthy(spec, layout.config.startTimeoutMs);
}

/** Waits until a killed instance's process is gone, so a restart does not find its ports taken. */
export async function waitGone(spec: ProcessSpec, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (runningPid(spec) !== undefined) {
    if (Date.now() > deadline) throw new Error(`${spec.name} still runs ${timeoutMs / 1000} s after the signal`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ExtraInstance { name: string; port: number; child: ChildProcess; exited: Promise<number | null> }

/**
 * One more instance of a project service, configured like the stack's own (same group, topics,
 * servers) but with its metrics on a free port, given by `portVariable`.
 */
export async function startExtraInstance(spec: ProcessSpec, portVariable: string, readyLog: string, name: string): Promise<ExtraInstance> {
  const port = await freePort();
  const entry = spec.args[spec.args.length - 1];
  const service = spawnService(entry, { ...spec.env, [portVariable]: String(port), LOG_LEVEL: 'info' });
  await service.logged(readyLog, 1, 90_000);
  return { name, port, child: service.child, exited: service.exited };
}

export async function stopExtraInstance(extra: ExtraInstance, timeoutMs = 30_000): Promise<void> {
  if (extra.child.exitCode !== null || extra.child.signalCode !== null) return;
  extra.child.kill('SIGTERM');
  const timer = setTimeout(() => extra.child.kill('SIGKILL'), timeoutMs);
  await extra.exited;
  clearTimeout(timer);
}
