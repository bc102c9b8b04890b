import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DLQ_REASONS } from './curate-batch';

/** The curate stage's Prometheus metrics, counted when a batch's transaction commits (aborted work is not counted twice). */

export function curateMetrics(dedupKeys: () => number) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const dlq = new Counter({ name: 'upload_pulse_curate_dlq_total', help: 'Messages dead-lettered, by reason', labelNames: ['reason'], registers });
  // Every reason from 0: rate() and increase() miss the first burst of a series that appears with it.
  for (const reason of DLQ_REASONS) dlq.inc({ reason }, 0);
  return {
    registry,
    consumed: new Counter({ name: 'upload_pulse_curate_consumed_total', help: 'Raw messages consumed in committed transactions', registers }),
    curated: new Counter({ name: 'upload_pulse_curate_curated_total', help: 'Events written to the curated topic', registers }),
    duplicates: new Counter({ name: 'upload_pulse_curate_duplicates_total', help: 'Events dropped because their event_key was curated within the dedup window', registers }),
    dlq,
    transactions: new Counter({ name: 'upload_pulse_curate_transactions_total', help: 'Batch transactions by result: committed, or aborted (the batch is retried)', labelNames: ['result'], registers }),
    batchSeconds: new Histogram({
      name: 'upload_pulse_curate_batch_seconds',
      help: 'Time to curate one consumed batch and commit its transaction',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    assigned: new Gauge({ name: 'upload_pulse_curate_assigned_partitions', help: 'Raw partitions this instance owns', registers }),
    dedupEvicted: new Counter({ name: 'upload_pulse_curate_dedup_capacity_evictions_total', help: 'Keys evicted before the window ended because a partition hit its key bound', registers }),
    dedupKeys: new Gauge({
      name: 'upload_pulse_curate_dedup_keys',
      help: 'Event keys held in the dedup windows of the owned partitions',
      registers,
      collect() {
        this.set(dedupKeys());
      },
    }),
  };
}

export type CurateMetrics = ReturnType<typeof curateMetrics>;
