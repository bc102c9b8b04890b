import { createTraffic } from '../../producers/simulator/model';
import { HOUR_MS } from './charts';
import { partitionOf } from './in-memory-run';
import { observe } from './observed-event';
import { PartitionWindows } from './partition-windows';
import { sellerHistories } from './seller-history';
import { SELLER_TRAILING_WINDOWS, SellerMonitor } from './seller-monitor';
import { rollupRows } from './testing';

/**
 * A partition's sellers rebuilt from rollup rows match the sellers its live owner learned from the
 * same events: same baseline kind, pooled windows, rates and silence.
 */

const MIN = 60_000;
const PARTITIONS = 3;
const START = Date.UTC(2026, 10, 16, 0, 0, 0);
const RESUME = START + 3 * 86_400_000 + 5.5 * HOUR_MS;
// A tiny FDR: no seller is a suspect, so the live owner learns every window, as the rollups do.
const options = { windowMs: MIN, minBaselineWindows: 30, shrinkageEvents: 200, sellerFdr: 1e-300, forgetAfterMs: 168 * HOUR_MS };

const events = createTraffic({ seed: 11, start: BigInt(START) * 1_000_000n, rate: 0.5, sellers: 60 }).takeUntil(BigInt(RESUME) * 1_000_000n);

test('sellers restored from hourly and minute rollups equal the live owner\'s', () => {
  const partition = 1;
  const live = new SellerMonitor(options);
  const windows = new PartitionWindows(partition, MIN, 0);
  events.filter((e) => partitionOf(e, PARTITIONS) === partition).forEach((e, i) => windows.add(observe(e), BigInt(i)));
  windows.advanceWatermark(RESUME);
  for (const w of windows.close()) live.judge(w);

  const histories = sellerHistories(rollupRows(events, HOUR_MS), rollupRows(events, MIN), [{ partition, resumeAt: RESUME }], { windowMs: MIN, partitions: PARTITIONS, trailingWindows: SELLER_TRAILING_WINDOWS, forgetAfterMs: options.forgetAfterMs });
  const restored = new SellerMonitor(options);
  const history = histories.get(partition);
  if (!history) throw new Error('no history for the partition');
  for (const [seller, h] of history.sellers) restored.restore(seller, h);

  expect(live.size).toBeGreaterThan(5);
  expect(restored.size).toBe(live.size);
  // Compared: sellers seen since the minute rows begin (silence before them restarts) and first
  // seen before the hour that the daily baseline of RESUME reaches back to (a first hour counts whole).
  const recentFrom = RESUME - 2 * HOUR_MS;
  const compared = [...history.sellers].filter(([, h]) => h.lastSeen >= recentFrom && (h.hours[0]?.start ?? RESUME) < START + 5 * HOUR_MS);
  expect(compared.length).toBeGreaterThan(5);
  for (const [seller] of compared) {
    const a = live.inspect(seller, RESUME);
    const b = restored.inspect(seller, RESUME);
    expect({ seller, ...b }).toEqual({ seller, ...a });
  }
});

test('the shrinkage target comes back as the partition\'s last windows', () => {
  const h = sellerHistories([], [{ seller: '42', start: RESUME - MIN, attempts: 3, failures: 1 }], [{ partition: partitionOf({ data: { company_id: 42n } } as never, PARTITIONS), resumeAt: RESUME }], { windowMs: MIN, partitions: PARTITIONS, trailingWindows: 4, forgetAfterMs: HOUR_MS });
  expect([...h.values()][0].prior).toEqual([
    { attempts: 0, failures: 0 },
    { attempts: 0, failures: 0 },
    { attempts: 0, failures: 0 },
    { attempts: 3, failures: 1 },
  ]);
});

test('a seller silent for longer than the forget time is not restored', () => {
  const p = partitionOf({ data: { company_id: 42n } } as never, PARTITIONS);
  const h = sellerHistories([{ seller: '42', start: RESUME - 3 * HOUR_MS, attempts: 5, failures: 0 }], [], [{ partition: p, resumeAt: RESUME }], { windowMs: MIN, partitions: PARTITIONS, trailingWindows: 60, forgetAfterMs: HOUR_MS });
  expect(h.get(p)?.sellers.size).toBe(0);
});
