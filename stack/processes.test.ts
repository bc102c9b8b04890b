import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runningPid, startProcess, StackError, stopProcess, waitHealthy, type ProcessSpec } from './processes';

/** Process supervision against real child processes (no servers needed). */

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-proc-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function spec(overrides: Partial<ProcessSpec> = {}): ProcessSpec {
  const dir = path.join(root, 'inst');
  return {
    name: 'sleeper-1',
    component: 'sleeper',
    command: 'sleep',
    args: ['60'],
    paths: { root: dir, data: path.join(dir, 'data'), logs: path.join(dir, 'logs'), logFile: path.join(dir, 'logs', 'sleeper.log'), pidFile: path.join(dir, 'pid.json'), conf: path.join(dir, 'conf') },
    ports: [],
    endpoints: {},
    prepare: async () => {},
    probe: async () => {},
    stopGraceS: 5,
    ...overrides,
  };
}

test('starts once, reports running by pid file, stops by pid', async () => {
  const s = spec();
  expect(await startProcess(s)).toBe('started');
  const pid = runningPid(s);
  expect(pid).toEqual(expect.any(Number));
  expect(await startProcess(s)).toBe('running');
  expect(await stopProcess(s)).toBe('stopped');
  expect(runningPid(s)).toBeUndefined();
  expect(fs.existsSync(s.paths.pidFile)).toBe(false);
  expect(await stopProcess(s)).toBe('not running');
});

test('a pid file whose process has another start time is not ours and is never signalled', async () => {
  const s = spec();
  fs.mkdirSync(s.paths.root, { recursive: true });
  // Our own pid with a wrong start time stands for a recycled pid.
  fs.writeFileSync(s.paths.pidFile, JSON.stringify({ pid: process.pid, startTicks: '1', command: 'sleep' }));
  expect(runningPid(s)).toBeUndefined();
  expect(await stopProcess(s)).toBe('not running');
});

test('a port in use fails fast, naming the instance and the port', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    await expect(startProcess(spec({ ports: [port] }))).rejects.toThrow(new RegExp(`sleeper-1: port ${port} is already in use`));
  } finally {
    blocker.close();
  }
});

test('a component that dies during start is reported with the tail of its log', async () => {
  const s = spec({ command: 'sh', args: ['-c', 'echo "fatal: storage is corrupted"; exit 3'], probe: async () => Promise.reject(new Error('not up')) });
  await startProcess(s);
  const err = await waitHealthy(s, 10000).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StackError);
  expect((err as Error).message).toMatch(/sleeper-1 exited during start/);
  expect((err as Error).message).toMatch(/fatal: storage is corrupted/);
});

test('a component that never becomes healthy times out with the last probe error', async () => {
  const s = spec({ probe: async () => Promise.reject(new Error('connection refused')) });
  await startProcess(s);
  try {
    await expect(waitHealthy(s, 1000)).rejects.toThrow(/did not become healthy within 1 s \(last probe: connection refused\)/);
  } finally {
    await stopProcess(s);
  }
});

test('a missing command is reported as such', async () => {
  await expect(startProcess(spec({ command: '/nonexistent/server' }))).rejects.toThrow(/could not run \/nonexistent\/server/);
});
