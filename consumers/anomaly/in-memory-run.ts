import { Partitioners, type PartitionMetadata } from 'kafkajs';
import type { UploadEvent } from '../../schemas/upload-event';
import type { DimensionWindow } from './dimension-charts';
import { GlobalMonitor, type ClosedWindow, type GlobalMonitorOptions } from './global-monitor';
import { observe, type ObservedEvent } from './observed-event';
import { decodePartial, encodePartial } from './partials';
import { PartitionOwner, type PartitionOwnerOptions } from './partition-owner';

/**
 * The worker's stages wired without Kafka: events spread over partitions by seller, each
 * partition's owner closes windows, partials go through their wire encoding to the leader. Used to
 * prove that delivery order does not change results and to measure detection quality at
 * simulation speed.
 */

export type Delivery = 'interleaved' | 'partition-at-a-time';

export interface InMemoryRunOptions {
  partitions: number;
  owner: PartitionOwnerOptions;
  leader: GlobalMonitorOptions;
  /** interleaved: partials reach the leader as windows close across partitions (live);
   *  partition-at-a-time: each partition's whole history is processed in turn, in chunks (a replay where partitions race). */
  delivery: Delivery;
  chunk?: number;
}

const partitioner = Partitioners.DefaultPartitioner();
const metadata = new Map<number, PartitionMetadata[]>();

/** The partition the producer library sends an event to: Kafka's murmur2 of the seller key. */
export function partitionOf(e: UploadEvent, partitions: number): number {
  return partitionOfSeller(e.data.company_id.toString(), partitions);
}

/** The same for a seller id, the message key. */
export function partitionOfSeller(seller: string, partitions: number): number {
  let partitionMetadata = metadata.get(partitions);
  if (!partitionMetadata) metadata.set(partitions, (partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }))));
  return partitioner({ topic: '', partitionMetadata, message: { key: seller, value: null } });
}

/**
 * Partition owners and the leader in one process, fed message by message: what runInMemory and a
 * replay of a topic range (consumers/replay/) drive. Partials go through their wire encoding, as
 * on the partials topic. Results depend only on each partition's events in order (see README).
 */
export class EventTimeStages {
  private readonly owners: PartitionOwner[];
  private readonly leader: GlobalMonitor;

  /** `fromMs`: a replayed range's start (a window boundary): earlier windows count as closed everywhere. */
  constructor(partitions: number, o: { owner: PartitionOwnerOptions; leader: GlobalMonitorOptions }, fromMs?: number) {
    const position = fromMs === undefined ? undefined : { closedUntil: fromMs, maxTs: fromMs };
    this.owners = Array.from({ length: partitions }, (_, p) => new PartitionOwner(p, o.owner, { offset: 0n, ...(position ? { position } : {}) }));
    this.leader = new GlobalMonitor({ ...o.leader, ...(fromMs === undefined ? {} : { closedUntil: fromMs }) });
  }

  /** Baselines from windows charted before the range (chart_windows), oldest first. */
  seed(windows: DimensionWindow[]): void {
    this.leader.seed(windows);
  }

  /** Counts one event of `partition` read at `offset`; false if it came after its window closed. */
  add(partition: number, e: ObservedEvent, offset: bigint): boolean {
    return this.owners[partition].add(e, offset);
  }

  /** Sends the partition's closed windows to the leader; returns the windows the leader charted. */
  deliver(partition: number): ClosedWindow[] {
    const owner = this.owners[partition];
    const partials = owner.closeWindows();
    const closed: ClosedWindow[] = [];
    // No idle notices here: arrival times do not matter.
    for (const partial of partials) closed.push(...this.leader.accept(decodePartial(encodePartial(partial)), 0));
    owner.sent(partials.length);
    return closed;
  }

  /** The end of a replayed range: every partition closes its windows before `untilMs`, and the leader charts them. */
  flush(untilMs: number): ClosedWindow[] {
    return this.owners.flatMap((owner, p) => {
      owner.windows.advanceWatermark(untilMs);
      return this.deliver(p);
    });
  }
}

export function runInMemory(events: Iterable<UploadEvent>, o: InMemoryRunOptions): ClosedWindow[] {
  const stages = new EventTimeStages(o.partitions, o);
  const offsets = new Array<bigint>(o.partitions).fill(0n);
  const closed: ClosedWindow[] = [];

  if (o.delivery === 'interleaved') {
    for (const e of events) {
      const p = partitionOf(e, o.partitions);
      stages.add(p, observe(e), offsets[p]++);
      closed.push(...stages.deliver(p));
    }
  } else {
    const byPartition: UploadEvent[][] = offsets.map(() => []);
    for (const e of events) byPartition[partitionOf(e, o.partitions)].push(e);
    const chunk = o.chunk ?? 5000;
    // Round-robin over partitions in big chunks: each partition runs far ahead of the others in turn.
    for (let from = 0; byPartition.some((list) => list.length > from); from += chunk) {
      byPartition.forEach((list, p) => {
        for (const e of list.slice(from, from + chunk)) stages.add(p, observe(e), offsets[p]++);
        closed.push(...stages.deliver(p));
      });
    }
  }
  return closed;
}
