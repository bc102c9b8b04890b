import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from '../lib/logger';
import { PLOT_FILES } from './harness/report';
import { runScenario } from './scenarios/runner';
import { steadyScenario } from './scenarios/steady';

/**
 * The CI version of `steady`: 1,000 events/s through the stack's gateway for one minute. Asserted
 * exactly: no request failed, every accepted event is in ClickHouse once (counted by the run's
 * attempt_id prefix), every freshness marker arrived, and the report folder is complete. Latency
 * and freshness against their targets depend on the machine's other load, so the summary reports
 * them (and the runner logs them) rather than the test asserting them.
 */

jest.setTimeout(300_000);

test('steady, 1 minute at 1,000 events/s: no errors, nothing lost or doubled, report with summary and plots', async () => {
  const result = await runScenario(steadyScenario({ rate: 1000, seconds: 60 }), {
    batch: 10,
    slots: 10,
    baselineSeconds: 5,
    drainSeconds: 120,
    markerEveryMs: 100,
    signal: new AbortController().signal,
    log: createLogger('load-tests'),
    command: 'jest load-tests/steady.int.test.ts',
  });
  const { figures, run } = result;

  expect(run.phases).toHaveLength(1);
  // First, so a failure names the gateway's reasons rather than only a count of 503s.
  expect(figures.refusals).toEqual({});
  expect(run.phases[0].totals).toMatchObject({ sent: 6000, answered: 6000, byStatus: { 202: 6000 }, errors: {}, unknownOutcome: 0, stoppedEarly: false });
  expect(figures.errors).toEqual({});
  expect(figures.stored).toEqual({ accepted: 60_000, distinct: 60_000, rows: 60_000, lost: 0, duplicates: 0, unconfirmed: 0 });
  expect(figures.freshness.markers).toBeGreaterThan(500);
  expect(figures.freshness.missing).toBe(0);
  // Every process of the stack was measured, under load, and the stage costs could be computed.
  for (const stage of ['gateway', 'broker', 'curate', 'ClickHouse insert', 'anomaly worker']) expect(figures.stageCosts[stage].grossPer1000).toBeGreaterThan(0);
  expect(figures.processes.gateway.cpuLoad).toBeGreaterThan(0);

  const summary = fs.readFileSync(path.join(result.dir, 'summary.md'), 'utf8');
  expect(summary).toContain('lost 0, duplicated 0');
  for (const file of PLOT_FILES) {
    const png = fs.readFileSync(path.join(result.dir, file));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(summary).toContain(`](${file})`);
  }
});
