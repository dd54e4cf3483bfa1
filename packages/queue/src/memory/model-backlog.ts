import type { WorkItem } from '@rerankd/protocol';

export interface Delivery {
  item: WorkItem;
  /** How often the item has been handed to a handler so far. */
  deliveries: number;
}

/** The items of one model in one process, and the consumers that take them. */
export class ModelBacklog {
  readonly waiting: Delivery[] = [];
  readonly consumers = new Set<{ pump(): void }>();
  inHand = 0;
  deadLetters = 0;

  get size(): number {
    return this.waiting.length + this.inHand;
  }

  /** Removes the waiting items of a request; returns how many there were. */
  drop(requestId: string): number {
    let kept = 0;
    for (const delivery of this.waiting) {
      if (delivery.item.requestId !== requestId) this.waiting[kept++] = delivery;
    }
    const dropped = this.waiting.length - kept;
    this.waiting.length = kept;
    return dropped;
  }

  /** Lets every consumer with room take what is waiting. */
  offer(): void {
    for (const consumer of this.consumers) consumer.pump();
  }
}
