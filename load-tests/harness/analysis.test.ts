import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyse } from './analysis';
import { PLOT_FILES, writeReport } from './report';
import { syntheticRun } from './testing';

const processes = [
  { name: 'gateway', component: 'gateway', pid: 1, idle: 2, perKiloEvents: 30 },
  { name: 'kafka-1', component: 'kafka', pid: 2, idle: 8, perKiloEvents: 20 },
  { name: 'kafka-2', component: 'kafka', pid: 3, idle: 8, perKiloEvents: 20 },
  { name: 'curate', component: 'curate', pid: 4, idle: 1, perKiloEvents: 25 },
  { name: 'clickhouse-1', component: 'clickhouse', pid: 5, idle: 1, perKiloEvents: 5 },
  { name: 'anomaly-worker', component: 'anomaly', pid: 6, idle: 2, perKiloEvents: 15 },
  { name: 'api', component: 'api', pid: 7, idle: 0.5, perKiloEvents: 0 },
];

test('per-stage cost: CPU per 1,000 events/s, gross and above the idle baseline, summed over the processes of a stage', () => {
  const f = analyse(syntheticRun({ phases: [{ name: 'steady', rate: 2000, seconds: 60 }], processes }));
  expect(f.load.acceptedRate).toBeCloseTo(2000);
  // gateway: 2 % idle + 30 % per 1,000 events/s -> 62 % at 2,000/s: net 0.30, gross 0.31 core-s per 1,000 events.
  expect(f.stageCosts.gateway.netPer1000).toBeCloseTo(0.3, 2);
  expect(f.stageCosts.gateway.grossPer1000).toBeCloseTo(0.31, 3);
  // Two brokers make one stage.
  expect(f.stageCosts.broker.processes).toEqual(['kafka-1', 'kafka-2']);
  expect(f.stageCosts.broker.netPer1000).toBeCloseTo(0.4, 2);
  expect(f.stageCosts['ClickHouse insert'].netPer1000).toBeCloseTo(0.05, 2);
  expect(Object.keys(f.stageCosts)).toEqual(['gateway', 'broker', 'curate', 'ClickHouse insert', 'anomaly worker']);
  expect(f.processes.api.cpuLoad).toBeCloseTo(0.5);
});

test('loss and duplicates compare what the gateway accepted with what ClickHouse holds', () => {
  const ok = analyse(syntheticRun({ phases: [{ name: 'steady', rate: 1000, seconds: 10 }] }));
  expect(ok.stored).toEqual({ accepted: 10000, rows: 10000, distinct: 10000, lost: 0, duplicates: 0, unconfirmed: 0 });
  const bad = analyse(syntheticRun({ phases: [{ name: 'steady', rate: 1000, seconds: 10 }], stored: { rows: 9990, distinct: 9980 } }));
  expect(bad.stored).toMatchObject({ lost: 20, duplicates: 10 });
});

test('service levels over the load: latency, freshness (a marker never seen breaks it) and lag trends', () => {
  const good = analyse(syntheticRun({ phases: [{ name: 'steady', rate: 1000, seconds: 60 }], lag: (t) => ({ curate: t % 5, ingest: 100 }) }));
  expect(good.serviceLevels).toEqual({ ok: true, broken: [] });
  expect(good.freshness).toMatchObject({ markers: 600, missing: 0, p99: 1500 });
  const bad = analyse(
    syntheticRun({ phases: [{ name: 'steady', rate: 1000, seconds: 60 }], latencyMs: 250, freshnessMs: (at) => ((at / 100) % 50 === 0 ? undefined : 900), lag: (t) => ({ curate: t * 200, ingest: 0 }) }),
  );
  expect(bad.freshness.missing).toBe(12);
  expect(bad.serviceLevels.broken).toEqual(['ingest p99 250 ms > 100 ms', 'freshness p99 never seen > 5000 ms', expect.stringMatching(/^lag of curate growing/)]);
});

test('the report folder holds summary.md with every section, the PNG plots and run.json', () => {
  const run = syntheticRun({ phases: [{ name: 'before', rate: 1000, seconds: 20 }, { name: 'spike', rate: 10000, seconds: 10 }], processes, lag: (t) => ({ curate: t * 10, ingest: null }) });
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'load-report-')), 'spike-x');
  writeReport(dir, run, analyse(run), { command: 'npm run load -- spike', topology: 'single', machine: 'test', loadAverageStart: [1, 1, 1], loadAverageEnd: [2, 2, 2], params: { rate: 1000 } }, [
    { heading: 'Spike recovery', markdown: '| a | b |\n|---|---|', figures: { x: 1 } },
  ]);
  const summary = fs.readFileSync(path.join(dir, 'summary.md'), 'utf8');
  for (const heading of ['## Conditions', '## Service levels', '## Spike recovery', '## Throughput', '## Stored and errors', '## Consumer lag', '## CPU and memory per process', '## Per-stage CPU cost', '## Plots']) expect(summary).toContain(heading);
  expect(summary).toContain('| spike | 10,000 | 10 |');
  for (const file of PLOT_FILES) {
    const png = fs.readFileSync(path.join(dir, file));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.length).toBeGreaterThan(5000);
    expect(summary).toContain(`](${file})`);
  }
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as { run: { samples: unknown[] }; scenario: Record<string, unknown> };
  expect(json.run.samples).toHaveLength(run.samples.length);
  expect(json.scenario['Spike recovery']).toEqual({ x: 1 });
});

test('events stored beyond those accepted come from requests whose answer never came, and are neither lost nor doubled', () => {
  const f = analyse(syntheticRun({ phases: [{ name: 'steady', rate: 1000, seconds: 10 }], stored: { rows: 10270, distinct: 10270 } }));
  expect(f.stored).toMatchObject({ lost: 0, duplicates: 0, unconfirmed: 270 });
});
