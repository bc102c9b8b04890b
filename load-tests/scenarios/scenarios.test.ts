import { analyse } from '../harness/analysis';
import { START, syntheticRun } from '../harness/testing';
import type { Verdict } from '../harness/service-levels';
import { highestSustained, judgeableMarkers, type StepResult } from './ramp';
import { assertLoopback } from './runner';
import { rssDrift, soakScenario } from './soak';
import { recoverySeconds, spikeRecovery } from './spike';

const ok: Verdict = { ok: true, broken: [] };
const step = (rate: number, verdict = ok): StepResult => ({ rate, acceptedRate: rate, errors: 0, verdict });

test('recovery: seconds from the end of the spike until the series stays at or under the threshold', () => {
  const points = [0, 5, 9, 3, 8, 2, 1, 1].map((value, i) => ({ at: 1000 * i, value }));
  expect(recoverySeconds(points, 1000, 4)).toBe(4); // above until t=4 s, under from t=5 s
  expect(recoverySeconds(points, 1000, 10)).toBe(0); // never above
  expect(recoverySeconds([...points, { at: 8000, value: 50 }], 1000, 4)).toBeNull(); // ends above: not recovered
  expect(recoverySeconds(points.map((p) => ({ ...p, value: null })), 0, 4)).toBeNull();
});

test('spike recovery per group and for freshness, against the levels before the spike', () => {
  // Curate's lag: 500 before, 40,000 at the spike's end, then draining 5,000 a second; freshness 10 s late for 20 s after it.
  const run = syntheticRun({
    baseline: 5,
    phases: [{ name: 'before', rate: 1000, seconds: 30 }, { name: 'spike', rate: 10000, seconds: 10 }, { name: 'after', rate: 1000, seconds: 30 }],
    lag: (t, phase) => ({ curate: phase === 'before' || t <= 5 ? 500 : phase === 'spike' ? (t - 35) * 4000 : Math.max(300, 40000 - (t - 45) * 5000), ingest: 0 }),
    freshnessMs: (at) => (at >= START + 35_000 && at < START + 65_000 ? 10_000 : 1200),
  });
  const r = spikeRecovery(run, 1000)!;
  expect(r.lag.curate.threshold).toBe(1000); // at least one second of base traffic
  expect(r.lag.curate.peak).toBe(40000);
  expect(r.lag.curate.recoverySeconds).toBe(8); // 40,000 - 8 x 5,000 = 0 -> floor 300 at t = 53 s, the spike ended at 45 s
  expect(r.lag.ingest.recoverySeconds).toBe(0);
  expect(r.freshness.thresholdMs).toBe(1200);
  expect(r.freshness.recoverySeconds).toBe(20); // markers sent from 65 s on are back at 1.2 s
  expect(spikeRecovery(syntheticRun({ phases: [{ name: 'before', rate: 1000, seconds: 10 }] }), 1000)).toBeUndefined();
});

test('ramp: the highest sustained rate is the last step before the first broken one; late markers count once 5 s have passed', () => {
  const broken = { ok: false, broken: ['ingest p99 150 ms > 100 ms'] };
  expect(highestSustained([step(1000), step(2000), step(3000, broken), step(4000)])).toBe(2000);
  expect(highestSustained([step(1000, broken)])).toBeUndefined();
  expect(highestSustained([step(1000), step(2000)])).toBe(2000);
  const markers = [{ key: 'a', sentAtMs: 0, seenAtMs: 800 }, { key: 'b', sentAtMs: 1000 }, { key: 'c', sentAtMs: 9000 }];
  expect(judgeableMarkers(markers, 10_000).map((m) => m.key)).toEqual(['a', 'b']);
});

test('soak: RSS start and end are medians of the second and the last tenth (the first is warm-up); growth over 10 % is not flat', async () => {
  const run = syntheticRun({
    phases: [{ name: 'soak', rate: 1000, seconds: 100 }],
    processes: [
      { name: 'curate', component: 'curate', pid: 1, idle: 1, perKiloEvents: 20, rss: (t) => 100e6 + t * 1e6 },
      { name: 'gateway', component: 'gateway', pid: 2, idle: 1, perKiloEvents: 20, rss: (t) => 100e6 + (t % 7) * 1e6 },
    ],
  });
  const drift = rssDrift(run);
  expect(drift.find((d) => d.process === 'curate')).toMatchObject({ startBytes: 121e6, endBytes: 201e6, flat: false });
  expect(drift.find((d) => d.process === 'gateway')!.flat).toBe(true);
  const [section] = await soakScenario({ rate: 1000, seconds: 100 }).findings!(run, analyse(run), new Map());
  expect(section.markdown).toContain('**Grew more than 10 %:** curate.');
});

test('load goes only to loopback endpoints', () => {
  expect(() => assertLoopback(['http://127.0.0.1:8080', '127.0.0.1:9092', 'http://localhost:8123', '127.0.0.2:9192'])).not.toThrow();
  expect(() => assertLoopback(['http://10.0.0.5:8080'])).toThrow(/not a loopback address/);
  expect(() => assertLoopback(['192.168.1.2:9092'])).toThrow(/192\.168\.1\.2:9092 is not a loopback address/);
});
