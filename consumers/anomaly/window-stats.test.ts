import { createRng, logNormal } from '../../producers/simulator/random';
import { addToStats, decodeStats, emptyStats, encodeStats, latencyQuantile, mergeStats } from './window-stats';

const QUANTILES = [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1];

function filled(seed: number, n: number, zeros: number) {
  const rng = createRng(seed);
  const s = emptyStats();
  for (let i = 0; i < n; i += 1) addToStats(s, i % 3 === 0, i % 17 === 0, logNormal(rng, 800, 1.2));
  for (let i = 0; i < zeros; i += 1) addToStats(s, false, false, 0);
  return s;
}

const roundTrip = (s: ReturnType<typeof emptyStats>) => decodeStats(JSON.parse(JSON.stringify(encodeStats(s))) as ReturnType<typeof encodeStats>);

test('a window survives the partials encoding: counts, moments and every quantile of its sketch', () => {
  const s = filled(1, 5_000, 40);
  const back = roundTrip(s);
  expect(back).toMatchObject({ events: s.events, attempts: s.attempts, failures: s.failures, latencyCount: s.latencyCount, latencySum: s.latencySum, latencySumSq: s.latencySumSq });
  expect(back.sketch.count).toBe(5_040);
  expect(back.sketch.zeroCount).toBe(40);
  for (const q of QUANTILES) expect(latencyQuantile(back, q)).toBe(latencyQuantile(s, q));
});

test('decoded windows merge as the originals would (the leader merges partitions)', () => {
  const a = filled(2, 3_000, 0);
  const b = filled(3, 700, 5);
  const direct = emptyStats();
  mergeStats(direct, a);
  mergeStats(direct, b);
  const decoded = emptyStats();
  mergeStats(decoded, roundTrip(a));
  mergeStats(decoded, roundTrip(b));
  expect(decoded.sketch.count).toBe(direct.sketch.count);
  for (const q of QUANTILES) expect(latencyQuantile(decoded, q)).toBe(latencyQuantile(direct, q));
});

test('a window without latencies travels without a sketch and decodes to an empty one', () => {
  const s = emptyStats();
  addToStats(s, true, true, undefined);
  const encoded = encodeStats(s);
  expect(encoded.sk).toBeUndefined();
  const back = roundTrip(s);
  expect(back.sketch.count).toBe(0);
  expect(latencyQuantile(back, 0.5)).toBeUndefined();
});

test("a partial from an older release (the sketch as the library's protobuf, base64) still decodes", () => {
  const s = filled(4, 2_000, 0);
  const old = { ...encodeStats(s), sk: Buffer.from(s.sketch.toProto()).toString('base64') };
  const back = decodeStats(old);
  expect(back.sketch.count).toBe(2_000);
  // The protobuf carries the mapping's gamma as a float: quantiles agree to about 14 digits.
  for (const q of QUANTILES) expect(Math.abs(latencyQuantile(back, q)! / latencyQuantile(s, q)! - 1)).toBeLessThan(1e-12);
});
