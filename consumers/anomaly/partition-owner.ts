import type { ObservedEvent } from './observed-event';
import { windowPartial, type WindowPartial } from './partials';
import { PartitionWindows, type WindowPosition } from './partition-windows';
import { SellerMonitor, type SellerMonitorOptions } from './seller-monitor';

/** Everything the owner of one raw partition keeps: its open windows and its sellers' baselines. */

export interface PartitionOwnerOptions extends SellerMonitorOptions {
  latenessMs: number;
  topSellers: number;
}

export class PartitionOwner {
  readonly windows: PartitionWindows;
  private readonly topSellers: number;
  private readonly unsent: WindowPartial[] = [];
  readonly sellers: SellerMonitor;
  /** Next raw offset to count: a re-delivered message below it was counted already. */
  nextOffset: bigint;

  constructor(partition: number, options: PartitionOwnerOptions, resume: { offset: bigint; position?: WindowPosition }) {
    this.windows = new PartitionWindows(partition, options.windowMs, options.latenessMs, resume.position);
    this.sellers = new SellerMonitor(options);
    this.topSellers = options.topSellers;
    this.nextOffset = resume.offset;
  }

  /** Counts the event at `offset` unless it was counted before; false if skipped or late. */
  add(e: ObservedEvent, offset: bigint): boolean {
    if (offset < this.nextOffset) return false;
    this.nextOffset = offset + 1n;
    return this.windows.add(e, offset);
  }

  /** Marks a message at `offset` as consumed without counting it (undecodable, or a duplicate). */
  skip(offset: bigint): void {
    if (offset >= this.nextOffset) this.nextOffset = offset + 1n;
  }

  /**
   * Closes what the watermark passed and tests the sellers of each closed window. Returns every
   * closed window not yet confirmed sent, so a failed send is retried with the next batch.
   */
  closeWindows(): WindowPartial[] {
    for (const w of this.windows.close()) this.unsent.push(windowPartial(w, this.sellers.judge(w), this.topSellers));
    return [...this.unsent];
  }

  /** The partials closeWindows() returned reached the leader's topic. */
  sent(count: number): void {
    this.unsent.splice(0, count);
  }

  commitPoint(): { offset: bigint; position: WindowPosition | undefined } {
    return this.windows.commitPoint(this.nextOffset);
  }
}
