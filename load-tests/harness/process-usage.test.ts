import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { MachineCpu, ProcessUsage } from './process-usage';

/** A process of its own group that keeps one core busy, like a stack instance under load. */
function busy(): ChildProcess {
  return spawn(process.execPath, ['-e', 'for (;;) {}'], { detached: true, stdio: 'ignore' });
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

test('CPU is the change of CPU time over wall time, RSS the resident bytes; a process that ends reads as null', async () => {
  const child = busy();
  children.push(child);
  const usage = new ProcessUsage([{ name: 'busy', component: 'test', pid: child.pid! }]);
  expect((await usage.read()).busy.cpuPercent).toBeNull(); // nothing to compare with yet
  await sleep(1000);
  const reading = (await usage.read()).busy;
  expect(reading.cpuPercent).toBeGreaterThan(30); // a core, less what the machine's other load takes
  expect(reading.cpuPercent).toBeLessThan(110);
  expect(reading.rssBytes).toBeGreaterThan(10 * 2 ** 20);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  expect((await usage.read()).busy).toEqual({ cpuPercent: null, rssBytes: null });
  usage.close();
});

test('a restarted instance is followed to its new pid, starting afresh', async () => {
  const first = busy();
  const second = busy();
  children.push(first, second);
  let current = first.pid!;
  const usage = new ProcessUsage([{ name: 'svc', component: 'test', pid: first.pid! }], () => new Map([['svc', current]]), 0);
  await usage.read();
  await sleep(300);
  expect((await usage.read()).svc.cpuPercent).toBeGreaterThan(0);
  current = second.pid!;
  expect((await usage.read()).svc.cpuPercent).toBeNull();
  expect(usage.watched[0].pid).toBe(second.pid);
  await sleep(300);
  expect((await usage.read()).svc.cpuPercent).toBeGreaterThan(0);
  usage.close();
});

test('machine CPU counts every core: between 0 and 100 per core', async () => {
  const machine = new MachineCpu(2);
  expect(machine.read()).toBeNull();
  await sleep(200);
  const v = machine.read()!;
  expect(v).toBeGreaterThanOrEqual(0);
  expect(v).toBeLessThanOrEqual(200);
});
