import { Partitioners, type PartitionMetadata } from 'kafkajs';
import type { UploadEvent } from '../../schemas/upload-event';
import { GlobalMonitor, type ClosedWindow, type GlobalMonitorOptions } from './global-monitor';
import { observe } from './observed-event';
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
  let partitionMetadata = metadata.get(partitions);
  if (!partitionMetadata) metadata.set(partitions, (partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }))));
  return partitioner({ topic: '', partitionMetadata, message: { key: e.data.company_id.toString(), value: null } });
}

export function runInMemory(events: Iterable<UploadEvent>, o: InMemoryRunOptions): ClosedWindow[] {
  const owners = Array.from({ length: o.partitions }, (_, p) => new PartitionOwner(p, o.owner, { offset: 0n }));
  const offsets = new Array<bigint>(o.partitions).fill(0n);
  const leader = new GlobalMonitor(o.leader);
  const closed: ClosedWindow[] = [];
  const deliver = (owner: PartitionOwner) => {
    const partials = owner.closeWindows();
    // No idle notices here: arrival times do not matter.
    for (const partial of partials) closed.push(...leader.accept(decodePartial(encodePartial(partial)), 0));
    owner.sent(partials.length);
  };

  if (o.delivery === 'interleaved') {
    for (const e of events) {
      const p = partitionOf(e, o.partitions);
      owners[p].add(observe(e), offsets[p]++);
      deliver(owners[p]);
    }
  } else {
    const byPartition: UploadEvent[][] = owners.map(() => []);
    for (const e of events) byPartition[partitionOf(e, o.partitions)].push(e);
    const chunk = o.chunk ?? 5000;
    // Round-robin over partitions in big chunks: each partition runs far ahead of the others in turn.
    for (let from = 0; byPartition.some((list) => list.length > from); from += chunk) {
      byPartition.forEach((list, p) => {
        for (const e of list.slice(from, from + chunk)) owners[p].add(observe(e), offsets[p]++);
        deliver(owners[p]);
      });
    }
  }
  return closed;
}
