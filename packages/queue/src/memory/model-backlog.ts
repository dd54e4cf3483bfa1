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

  /** Lets every consumer with room take what is waiting. */
  offer(): void {
    for (const consumer of this.consumers) consumer.pump();
  }
}
