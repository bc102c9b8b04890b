import { spawn, type ChildProcess } from 'node:child_process';
import net, { type AddressInfo } from 'node:net';
import readline from 'node:readline';
import { REPO_ROOT } from '../lib/config';

/** Project services as their own processes in integration tests, so they can be SIGKILLed. */

export interface LogLine {
  msg?: string;
  partition?: number;
  to?: string;
  [key: string]: unknown;
}

const children: ChildProcess[] = [];

/** SIGKILLs every service a test file started and left running. */
export function killChildren(): void {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Starts `node --import tsx <entry>` with the given environment, and follows its JSON log lines. */
export function spawnService(entry: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const listeners = new Set<(line: LogLine) => void>();
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  readline.createInterface({ input: child.stdout! }).on('line', (text) => {
    try {
      const line = JSON.parse(text) as LogLine;
      // Failures are logged as JSON on stdout: keep them for the error message.
      if (line.level === 'error' || line.level === 'fatal') stderr.push(text);
      listeners.forEach((l) => l(line));
    } catch {
      stderr.push(text);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  /** Resolves on the `count`-th log line with this message, or fails when the process exits first. */
  const logged = (msg: string, count = 1, timeoutMs = 30_000) =>
    new Promise<LogLine>((resolve, reject) => {
      let seen = 0;
      const done = (result: LogLine | Error) => {
        clearTimeout(timer);
        listeners.delete(listener);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      const timer = setTimeout(() => done(new Error(`no ${count}x "${msg}" from ${entry} in ${timeoutMs} ms; stderr: ${stderr.join('')}`)), timeoutMs);
      const listener = (line: LogLine) => {
        if (line.msg === msg && ++seen === count) done(line);
      };
      listeners.add(listener);
      void exited.then((code) => done(new Error(`${entry} exited (${code}) before logging "${msg}"; stderr: ${stderr.join('')}`)));
    });
  return { child, exited, logged };
}

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
