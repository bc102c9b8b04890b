import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InstancePaths } from './layout';

/**
 * Starts, identifies and stops the stack's own processes. A process is only ever
 * found through the pid file we wrote for it, checked against its start time so a
 * recycled pid is never mistaken for ours (and never signalled).
 */

export class StackError extends Error {}

export interface ProcessSpec {
  /** Instance name, e.g. `kafka-2`; also the folder name under the topology dir. */
  name: string;
  component: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  /** Working directory; the instance's folder unless given. */
  cwd?: string;
  paths: InstancePaths;
  /** Every port the instance binds: checked free before start. */
  ports: number[];
  /** Writes config, formats storage; idempotent and never deletes data. */
  prepare(): Promise<void>;
  /** Resolves when the instance answers a real request; throws with the reason otherwise. */
  probe(): Promise<void>;
  /** Endpoints for `stack status`. */
  endpoints: Record<string, string>;
  /** Seconds to wait after SIGTERM before SIGKILL. */
  stopGraceS?: number;
}

interface PidRecord { pid: number; startTicks: string; command: string }

/** Start time of a live (non-zombie) process, in clock ticks since boot. */
function procStartTicks(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in field 2 may contain spaces, so split after its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

function readPid(spec: ProcessSpec): PidRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(spec.paths.pidFile, 'utf8')) as PidRecord;
  } catch {
    return undefined;
  }
}

/** The pid of the running instance, or undefined (a stale pid file is removed). */
export function runningPid(spec: ProcessSpec): number | undefined {
  const rec = readPid(spec);
  if (!rec) return undefined;
  if (procStartTicks(rec.pid) === rec.startTicks) return rec.pid;
  fs.rmSync(spec.paths.pidFile, { force: true });
  return undefined;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export function logTail(file: string, lines = 15): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return text.slice(-lines).join('\n');
  } catch {
    return '(no log yet)';
  }
}

export async function startProcess(spec: ProcessSpec): Promise<'started' | 'running'> {
  if (runningPid(spec) !== undefined) return 'running';
  for (const port of spec.ports) {
    if (!(await portFree(port))) {
      throw new StackError(
        `${spec.name}: port ${port} is already in use by a process this stack did not start; ` +
          `stop that process or choose other ports (see README, "Ports")`,
      );
    }
  }
  for (const dir of [spec.paths.data, spec.paths.logs, spec.paths.conf]) fs.mkdirSync(dir, { recursive: true });
  await spec.prepare();
  const out = fs.openSync(spec.paths.logFile, 'a');
  fs.writeSync(out, `\n--- ${new Date().toISOString()} stack: starting ${spec.command} ${spec.args.join(' ')}\n`);
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd ?? spec.paths.root,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', out, out],
    detached: true,
  });
  fs.closeSync(out);
  const pid = child.pid;
  if (pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new StackError(`${spec.name}: could not run ${spec.command}: ${err.message}`);
  }
  child.unref();
  const record: PidRecord = { pid, startTicks: procStartTicks(pid) ?? '', command: spec.command };
  fs.writeFileSync(spec.paths.pidFile, JSON.stringify(record));
  return 'started';
}

export async function waitHealthy(spec: ProcessSpec, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no probe yet';
  for (;;) {
    if (runningPid(spec) === undefined) {
      throw new StackError(`${spec.name} exited during start. Last lines of ${spec.paths.logFile}:\n${logTail(spec.paths.logFile)}`);
    }
    try {
      await spec.probe();
      return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new StackError(
        `${spec.name} did not become healthy within ${Math.round(timeoutMs / 1000)} s (last probe: ${lastError}). ` +
          `Last lines of ${spec.paths.logFile}:\n${logTail(spec.paths.logFile)}`,
      );
    }
    await sleep(500);
  }
}

export async function isHealthy(spec: ProcessSpec): Promise<boolean> {
  if (runningPid(spec) === undefined) return false;
  try {
    await spec.probe();
    return true;
  } catch {
    return false;
  }
}

const alive = (pid: number): boolean => procStartTicks(pid) !== undefined;

/** SIGTERM the instance's process group, SIGKILL it after the grace period. */
export async function stopProcess(spec: ProcessSpec): Promise<'stopped' | 'not running'> {
  const pid = runningPid(spec);
  if (pid === undefined) return 'not running';
  // detached: the instance leads its own process group, so wrapper scripts take their JVM along.
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + (spec.stopGraceS ?? 30) * 1000;
  while (alive(pid) && Date.now() < deadline) await sleep(200);
  if (alive(pid)) signal('SIGKILL');
  while (alive(pid)) await sleep(100);
  fs.rmSync(spec.paths.pidFile, { force: true });
  return 'stopped';
}
