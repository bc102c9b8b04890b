import type { SellerPoint } from './metrics';
import type { PartitionWindow } from './partition-windows';
import { decodeStats, encodeStats, type EncodedStats, type WindowStats } from './window-stats';

/**
 * What partition owners tell the leader, on the single-partition partials topic (whose owner is the
 * leader, see leader.ts): each closed window of each raw partition, with the owner's per-seller
 * test results, and idle notices for partitions with nothing to read.
 */

export const SELLER_CHARTS = ['seller_volume', 'seller_failure_rate', 'seller_silent'] as const;
export type SellerChart = (typeof SELLER_CHARTS)[number];

/** One seller test whose p-value may survive the multiple-testing correction. */
export interface SellerCandidate {
  seller: string;
  chart: SellerChart;
  p: number;
  /** Observed: attempts in the window (volume), failure rate, or silent minutes. */
  value: number;
  /** What the seller's own history expected of `value`. */
  expected: number;
}

export interface SellerTests {
  /** Tests run in the window on this partition (the m of the correction, summed over partitions). */
  tested: number;
  candidates: SellerCandidate[];
}

export interface WindowPartial {
  kind: 'window';
  partition: number;
  start: number;
  dims: Map<string, WindowStats>;
  sellers: SellerTests;
  /** The partition's busiest sellers of the window, for per-seller series on /metrics. */
  top: SellerPoint[];
}

export interface IdleNotice {
  kind: 'idle';
  partition: number;
  /** When the owner found the partition read to its end (wall clock, ms). */
  checkedAt: number;
}

export type PartialMessage = WindowPartial | IdleNotice;

interface EncodedWindow {
  kind: 'window';
  partition: number;
  start: number;
  dims: Record<string, EncodedStats>;
  sellers: SellerTests;
  top: SellerPoint[];
}

export function windowPartial(w: PartitionWindow, sellers: SellerTests, topSellers: number): WindowPartial {
  const top = [...w.sellers]
    .map(([seller, c]) => ({ seller, attempts: c.attempts, failures: c.failures }))
    .sort((a, b) => b.attempts - a.attempts || a.seller.localeCompare(b.seller))
    .slice(0, topSellers);
  return { kind: 'window', partition: w.partition, start: w.start, dims: w.dims, sellers, top };
}

export function encodePartial(m: PartialMessage): Buffer {
  if (m.kind === 'idle') return Buffer.from(JSON.stringify(m));
  const dims = Object.fromEntries([...m.dims].map(([dim, stats]) => [dim, encodeStats(stats)]));
  const encoded: EncodedWindow = { kind: 'window', partition: m.partition, start: m.start, dims, sellers: m.sellers, top: m.top };
  return Buffer.from(JSON.stringify(encoded));
}

export function decodePartial(bytes: Buffer): PartialMessage {
  const m = JSON.parse(bytes.toString('utf8')) as EncodedWindow | IdleNotice;
  if (m.kind === 'idle') return m;
  return { ...m, dims: new Map(Object.entries(m.dims).map(([dim, stats]) => [dim, decodeStats(stats)])) };
}

/** Key of a partial on the topic: the same window of the same partition always has the same key. */
export const partialKey = (m: PartialMessage): string => (m.kind === 'idle' ? `idle:${m.partition}` : `${m.partition}:${m.start}`);
