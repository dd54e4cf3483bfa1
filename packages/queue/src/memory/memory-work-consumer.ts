import type { WorkResult } from '@rerankd/protocol';
import { isExpired, runDelivery } from '../failures';
import type { ConsumeOptions, WorkConsumer, WorkHandler } from '../work-queue';
import type { Delivery, ModelBacklog } from './model-backlog';

/**
 * One consumer of a model's in-process backlog, running up to `batchSize` items at once.
 * No worker can die apart from the process here, so nothing is reclaimed; a handler that throws
 * gets the item again, up to `maxDeliveries` times, as a reclaimed item would in Redis.
 */
export class MemoryWorkConsumer implements WorkConsumer {
  private readonly inHand = new Set<Promise<void>>();
  private stopping = false;

  constructor(
    private readonly backlog: ModelBacklog,
    private readonly workerId: string,
    private readonly handler: WorkHandler,
    private readonly options: Required<ConsumeOptions>,
    private readonly publish: (replyTo: string, result: WorkResult) => void,
  ) {
    backlog.consumers.add(this);
  }

  /** Takes waiting items while there is room; called when work arrives or a slot frees. */
  pump(): void {
    while (!this.stopping && this.inHand.size < this.options.batchSize) {
      const delivery = this.backlog.waiting.shift();
      if (!delivery) return;
      // The gateway has already answered 504: computing it would only waste the device.
      if (isExpired(delivery.item)) continue;
      delivery.deliveries += 1;
      this.backlog.inHand += 1;
      const work: Promise<void> = this.process(delivery).finally(() => {
        this.backlog.inHand -= 1;
        this.inHand.delete(work);
        this.backlog.offer();
      });
      this.inHand.add(work);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.backlog.consumers.delete(this);
    await Promise.all(this.inHand);
  }

  private async process(delivery: Delivery): Promise<void> {
    const { item, deliveries } = delivery;
    const scoring = this.backlog.track(item);
    const outcome = await runDelivery(this.handler, item, this.workerId, deliveries, this.options.maxDeliveries, scoring.cancelled).finally(scoring.done);
    if (outcome.kind === 'cancelled') return;
    if (outcome.kind === 'retry') {
      this.backlog.waiting.unshift(delivery);
      return;
    }
    if (outcome.kind === 'exhausted') this.backlog.deadLetters += 1;
    this.publish(item.replyTo, outcome.result);
  }
}
