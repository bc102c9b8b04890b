import { DedupWindow } from './dedup-window';

test('a key is a duplicate within the window and not after it', () => {
  const w = new DedupWindow(1000, 100);
  w.add(1n, 10_000);
  expect(w.has(1n, 10_000)).toBe(true);
  expect(w.has(1n, 10_999)).toBe(true);
  expect(w.has(1n, 11_000)).toBe(false);
  expect(w.has(2n, 10_000)).toBe(false);
});

test('a repeat keeps the first time: the window runs from when the key was first curated', () => {
  const w = new DedupWindow(1000, 100);
  w.add(1n, 0);
  w.add(1n, 900);
  expect(w.has(1n, 1000)).toBe(false);
});

test('keys that left the window are evicted, oldest first', () => {
  const w = new DedupWindow(1000, 100);
  for (let i = 0; i < 10; i++) w.add(BigInt(i), i * 100);
  expect(w.size).toBe(10);
  w.evict(1450); // keys added at 0..400 are now 1000+ ms old
  expect(w.size).toBe(5);
  expect(w.has(4n, 1450)).toBe(false);
  expect(w.has(5n, 1450)).toBe(true);
  w.add(99n, 5000); // adding evicts too
  expect(w.size).toBe(1);
});

test('the number of keys is bounded: past maxKeys the oldest go first and are counted', () => {
  const w = new DedupWindow(3_600_000, 3);
  for (let i = 0; i < 5; i++) w.add(BigInt(i), 1000 + i);
  expect(w.size).toBe(3);
  expect(w.evictedForCapacity).toBe(2);
  expect([0n, 1n, 2n, 3n, 4n].map((k) => w.has(k, 2000))).toEqual([false, false, true, true, true]);
});

test('a clock stepping back neither reorders nor resurrects keys', () => {
  const w = new DedupWindow(1000, 100);
  w.add(1n, 5000);
  w.add(2n, 4000); // clamped to 5000
  w.evict(5999);
  expect(w.size).toBe(2);
  w.evict(6000);
  expect(w.size).toBe(0);
});

test('a zero window disables deduplication', () => {
  const w = new DedupWindow(0, 100);
  w.add(1n, 0);
  expect(w.has(1n, 0)).toBe(false);
  expect(w.size).toBe(0);
});

test('nonsense bounds are refused with a message', () => {
  expect(() => new DedupWindow(-1, 10)).toThrow(/windowMs >= 0/);
  expect(() => new DedupWindow(10, 0)).toThrow(/maxKeys >= 1/);
});
