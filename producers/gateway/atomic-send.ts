import type { UploadEvent } from '../../schemas/upload-event';

/** What the gateway needs of a producer: `send` resolves once Kafka acknowledged every event. */
export interface EventSender {
  send(events: UploadEvent[]): Promise<void>;
}

/**
 * True when the request goes to one partition in one record batch: its events share the key (the
 * seller) and fit one batch of the producer. Kafka appends a record batch whole, so such a request
 * is never stored in part without a transaction.
 */
export const onePartitionBatch = (events: readonly UploadEvent[], maxBatch: number): boolean =>
  events.length <= maxBatch && events.every((e) => e.data.company_id === events[0].data.company_id);

/**
 * Each request all or nothing, at the lowest cost: one seller's request goes through the idempotent
 * producer; only a request spread over partitions needs a Kafka transaction. A transaction is about
 * 30 ms of round trips here and runs one at a time per producer: with every request in one,
 * single-event requests topped out near 250/s on 16 connections.
 */
export function atomicSend(direct: EventSender, transactional: EventSender, maxBatch: number): (events: UploadEvent[]) => Promise<void> {
  return (events) => (onePartitionBatch(events, maxBatch) ? direct : transactional).send(events);
}
