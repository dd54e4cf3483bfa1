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
  /** Per request, the signals of its items being scored, aborted when it is cancelled. */
  private readonly scoring = new Map<string, Set<AbortController>>();

  get size(): number {
    return this.waiting.length + this.inHand;
  }

  /** A signal that aborts if the item's request is cancelled while it is scored; call `done` after. */
  track(item: WorkItem): { cancelled: AbortSignal; done(): void } {
    const controller = new AbortController();
    let controllers = this.scoring.get(item.requestId);
    if (!controllers) this.scoring.set(item.requestId, (controllers = new Set()));
    controllers.add(controller);
    return {
      cancelled: controller.signal,
      done: () => {
        controllers.delete(controller);
        if (controllers.size === 0 && this.scoring.get(item.requestId) === controllers) this.scoring.delete(item.requestId);
      },
    };
  }

  /** Tells the request's items being scored that nobody awaits them. */
  cancelScoring(requestId: string): void {
    for (const controller of this.scoring.get(requestId) ?? []) controller.abort();
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
