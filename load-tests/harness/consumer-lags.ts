import type { Admin } from 'kafkajs';
import { readGroupLag, type LagTarget, type TopicOffsets } from '../../consumers/maintenance/lag-probe';

/**
 * Lag of each consumer group of the pipeline, as the maintenance probe measures it: end offsets
 * minus committed offsets, summed over partitions. The anomaly worker commits at the first event of
 * its oldest open chart window, so its lag holds up to a window plus lateness (~70 s) of traffic
 * by design and falls back at each window close; its floor is what shows it falling behind.
 */

export class ConsumerLags {
  constructor(private readonly admin: Admin, readonly targets: LagTarget[]) {}

  get groups(): string[] {
    return this.targets.map((t) => t.group);
  }

  /** Lag by group; null where the group has committed nothing yet or the reading failed. */
  async read(): Promise<Record<string, number | null>> {
    const ends = new Map<string, Promise<TopicOffsets[]>>();
    const endsOf = (topic: string) => {
      if (!ends.has(topic)) ends.set(topic, this.admin.fetchTopicOffsets(topic));
      return ends.get(topic)!;
    };
    const lags = await Promise.allSettled(this.targets.map(async (t) => readGroupLag(this.admin, t, await endsOf(t.topic))));
    return Object.fromEntries(this.targets.map((t, i) => {
      const r = lags[i];
      return [t.group, r.status === 'fulfilled' ? (r.value ?? null) : null];
    }));
  }
}
