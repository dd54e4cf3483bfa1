import { QueueFullError, UnavailableError, type WorkItem, type WorkResult } from '@rerankd/protocol';
import { workerRegistryKey } from './keys';
import { MemoryWorkConsumer } from './memory/memory-work-consumer';
import { ModelBacklog } from './memory/model-backlog';
import { DEFAULT_MAX_QUEUE_LENGTH, resolveConsumeOptions } from './options';
import type { CancelledRequest, ConsumeOptions, WorkConsumer, WorkerInfo, WorkHandler, WorkQueue } from './work-queue';

export interface MemoryWorkQueueOptions {
  /** Items waiting or in progress per model at which submit rejects with QueueFullError. */
  maxQueueLength?: number;
}

/**
 * WorkQueue inside one process, for `rerankd serve`: the same contract as the Redis queue
 * (bounded backlog, results to subscribers, deadlines, retries, dead letters) with nothing to
 * install. Workers live as long as the process, so heartbeats never expire here.
 */
export class MemoryWorkQueue implements WorkQueue {
  private readonly maxQueueLength: number;
  private readonly backlogs = new Map<string, ModelBacklog>();
  private readonly listeners = new Map<string, Set<(result: WorkResult) => void>>();
  private readonly workers = new Map<string, WorkerInfo>();
  private readonly consumers = new Set<MemoryWorkConsumer>();
  private closed = false;

  constructor(options: MemoryWorkQueueOptions = {}) {
    this.maxQueueLength = options.maxQueueLength ?? DEFAULT_MAX_QUEUE_LENGTH;
  }

  async submit(item: WorkItem): Promise<void> {
    this.assertOpen();
    const backlog = this.backlog(item.model);
    if (backlog.size >= this.maxQueueLength) {
      throw new QueueFullError(`The queue of model '${item.model}' holds ${this.maxQueueLength} items; retry later.`);
    }
    backlog.waiting.push({ item, deliveries: 0 });
    backlog.offer();
  }

  /** Drops the request's waiting items at once, which also frees their places in the backlog, and stops those being scored. */
  async cancel(request: CancelledRequest): Promise<void> {
    const backlog = this.backlogs.get(request.model);
    backlog?.drop(request.requestId);
    backlog?.cancelScoring(request.requestId);
  }

  async subscribeResults(replyTo: string, onResult: (result: WorkResult) => void): Promise<() => Promise<void>> {
    this.assertOpen();
    let listeners = this.listeners.get(replyTo);
    if (!listeners) this.listeners.set(replyTo, (listeners = new Set()));
    // A listener of its own, so subscribing the same function twice yields two subscriptions.
    const listener = (result: WorkResult) => onResult(result);
    listeners.add(listener);
    return async () => {
      listeners.delete(listener);
    };
  }

  consume(
    model: string,
    workerId: string,
    handler: WorkHandler,
    options?: ConsumeOptions,
  ): WorkConsumer {
    this.assertOpen();
    const backlog = this.backlog(model);
    const consumer = new MemoryWorkConsumer(backlog, workerId, handler, resolveConsumeOptions(options), (replyTo, result) =>
      this.publish(replyTo, result),
    );
    this.consumers.add(consumer);
    backlog.offer();
    return {
      stop: async () => {
        this.consumers.delete(consumer);
        await consumer.stop();
      },
    };
  }

  async announce(info: WorkerInfo): Promise<() => Promise<void>> {
    this.assertOpen();
    const key = workerRegistryKey(info.model, info.workerId);
    this.workers.set(key, info);
    return async () => {
      this.workers.delete(key);
    };
  }

  async liveWorkers(): Promise<WorkerInfo[]> {
    return [...this.workers.values()];
  }

  /** depth: items no consumer has taken yet; pending: items being scored now. */
  async stats(model: string): Promise<{ depth: number; pending: number; deadLetters: number }> {
    const backlog = this.backlogs.get(model);
    return { depth: backlog?.waiting.length ?? 0, pending: backlog?.inHand ?? 0, deadLetters: backlog?.deadLetters ?? 0 };
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  /** Stops every consumer (finishing items in hand) and drops subscribers and workers. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.consumers].map((consumer) => consumer.stop()));
    this.consumers.clear();
    this.listeners.clear();
    this.workers.clear();
  }

  private backlog(model: string): ModelBacklog {
    let backlog = this.backlogs.get(model);
    if (!backlog) this.backlogs.set(model, (backlog = new ModelBacklog()));
    return backlog;
  }

  private publish(replyTo: string, result: WorkResult): void {
    for (const listener of this.listeners.get(replyTo) ?? []) {
      try {
        listener(result);
      } catch (error) {
        process.emitWarning(`A result listener on ${replyTo} threw: ${String(error)}`);
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new UnavailableError('The queue is closed.');
  }
}
