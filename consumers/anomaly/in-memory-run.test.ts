import { loadEnv, serviceConfig } from '../../lib/config';
import { parseIncident } from '../../producers/simulator/incidents';
import { createTraffic } from '../../producers/simulator/model';
import type { UploadEvent } from '../../schemas/upload-event';
import { EventTimeStages, partitionOf, runInMemory } from './in-memory-run';
import { observe } from './observed-event';
import { monitorOptions } from './options';

/**
 * Event time, not arrival order: the same events give the same charts and breaches whether
 * partials reach the leader interleaved as windows close (live) or one partition's history at a
 * time, each racing ahead of the others (a replay at full speed).
 */

const START = BigInt(Date.UTC(2026, 9, 5, 8)) * 1_000_000n;
const MINUTE_NS = 60_000_000_000n;
const config = serviceConfig(loadEnv({ ANOMALY_MIN_BASELINE_WINDOWS: '20' }));
const PARTITIONS = 6;

function history(minutes: number): UploadEvent[] {
  const spike = parseIncident('failure-spike:origin=xlsx-import,magnitude=0.4@+50m/15m', START);
  const traffic = createTraffic({ seed: 11, start: START, rate: 20, sellers: 400, incidents: [spike] });
  const end = START + BigInt(minutes) * MINUTE_NS;
  const events: UploadEvent[] = [];
  for (const e of traffic) {
    if (e.ts >= end) break;
    events.push(e);
  }
  return events;
}

test('live and replayed deliveries chart the same windows and find the same breaches, the injected spike among them', () => {
  const events = history(80);
  const stages = monitorOptions(config.anomaly, PARTITIONS);
  const live = runInMemory(events, { partitions: PARTITIONS, ...stages, delivery: 'interleaved' });
  const replay = runInMemory(events, { partitions: PARTITIONS, ...stages, delivery: 'partition-at-a-time', chunk: 2000 });

  expect(live.length).toBeGreaterThanOrEqual(78);
  expect(replay).toEqual(live);
  const counted = live.reduce((n, w) => n + (w.dimensions.find((d) => d.dimension === 'global')?.events ?? 0), 0);
  expect(counted).toBeGreaterThan(events.length * 0.95);

  const spikeStart = Number(START / 1_000_000n) + 50 * 60_000;
  const pages = live.flatMap((w) => w.breaches).filter((b) => b.chart === 'failure_rate' && b.dimension === 'origin=xlsx-import' && b.severity === 'page');
  expect(pages.length).toBeGreaterThan(0);
  expect(pages[0].windowStart).toBeGreaterThanOrEqual(spikeStart);
  expect(pages[0].windowStart).toBeLessThan(spikeStart + 5 * 60_000);
});

test('a replayed range [from, to) is charted whole, in any partition order: every window from its start to its end, the same breaches', () => {
  const events = history(60);
  const stages = monitorOptions(config.anomaly, PARTITIONS);
  const from = Number(START / 1_000_000n);
  const to = from + 60 * 60_000;
  const replay = (order: number[]) => {
    const run = new EventTimeStages(PARTITIONS, stages, from);
    const byPartition = order.map(() => [] as UploadEvent[]);
    for (const e of events) byPartition[partitionOf(e, PARTITIONS)].push(e);
    const closed = order.flatMap((p) => {
      byPartition[p].forEach((e, offset) => run.add(p, observe(e), BigInt(offset)));
      return run.deliver(p);
    });
    return [...closed, ...run.flush(to)];
  };
  const forward = replay([0, 1, 2, 3, 4, 5]);
  expect(forward.map((w) => w.start)).toEqual(Array.from({ length: 60 }, (_, i) => from + i * 60_000));
  expect(replay([5, 3, 1, 0, 2, 4])).toEqual(forward);
  expect(forward.flatMap((w) => w.breaches).some((b) => b.chart === 'failure_rate' && b.dimension === 'origin=xlsx-import')).toBe(true);
});
