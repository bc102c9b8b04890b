import pino from 'pino';
import { Registry } from 'prom-client';
import { startProbes, type Probe } from './probe-loop';

const log = pino({ level: 'silent' });

async function errorsOf(registry: Registry, probe: string): Promise<number | undefined> {
  const metric = await registry.getSingleMetric('upload_pulse_probe_errors_total')?.get();
  return metric?.values.find((v) => v.labels.probe === probe)?.value;
}

const waitFor = async (check: () => Promise<boolean>, ms = 2000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('a failing probe is counted and the loop goes on, other probes unaffected', async () => {
  const registry = new Registry();
  let good = 0;
  let bad = 0;
  const probes: Probe[] = [
    { name: 'good', run: async () => void good++ },
    { name: 'bad', run: async () => { bad++; throw new Error('boom'); } },
  ];
  const loop = startProbes({ probes, intervalMs: 10, registry, log });
  await waitFor(async () => bad >= 3 && good >= 3);
  await loop.stop();
  expect(await errorsOf(registry, 'good')).toBe(0);
  expect(await errorsOf(registry, 'bad')).toBe(bad);
});

test('a run over its time budget counts as a failure and is aborted', async () => {
  const registry = new Registry();
  let aborted = false;
  const probes: Probe[] = [
    { name: 'slow', run: (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => { aborted = true; resolve(); })) },
  ];
  const loop = startProbes({ probes, intervalMs: 1000, timeoutMs: 20, registry, log });
  await waitFor(async () => (await errorsOf(registry, 'slow')) === 1);
  await loop.stop();
  expect(aborted).toBe(true);
});

test('stop ends the loop: no run starts afterwards', async () => {
  const registry = new Registry();
  let runs = 0;
  const loop = startProbes({ probes: [{ name: 'p', run: async () => void runs++ }], intervalMs: 5, registry, log });
  await waitFor(async () => runs >= 2);
  await loop.stop();
  const after = runs;
  await new Promise((r) => setTimeout(r, 50));
  expect(runs).toBe(after);
});
