/** Small statistics over measured series: percentiles, means, trends. */

/**
 * Nearest-rank percentile of an ascending array (the element at index floor(p * n), as the storage
 * benchmark has always reported it); undefined for no values.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

export interface Distribution { n: number; p50?: number; p95?: number; p99?: number; max?: number }

/** p50/p95/p99/max of the values (sorted here; the input is left as it is). */
export function distribution(values: ArrayLike<number>): Distribution {
  const sorted = Float64Array.from(values).sort();
  return { n: sorted.length, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99), max: sorted.length > 0 ? sorted[sorted.length - 1] : undefined };
}

export function mean(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}

export function median(values: readonly number[]): number | undefined {
  return percentile([...values].sort((a, b) => a - b), 0.5);
}

/** A growable array of float32 values: millions of latencies without millions of JS numbers. */
export class FloatLog {
  private data = new Float32Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  values(): Float32Array {
    return this.data.subarray(0, this.length);
  }
}
