import type { WorkItem, WorkResult } from '@rerankd/protocol';
import type { CancelledRequest, WorkConsumer, WorkerInfo, WorkQueue } from '@rerankd/queue';

/** Longer documents score higher: the score is 1 - 1/(1 + length), so its logit is ln(length). */
export function fakeScore(document: string): number {
  return 1 - 1 / (1 + document.length);
}

/** Characters of query and document. */
export function fakeTokens(query: string, document: string): number {
  return query.length + document.length;
}

/** What a healthy worker answers for an item. */
export function scoredResult(item: WorkItem): Extract<WorkResult, { ok: true }> {
  return {
    ok: true,
    itemId: item.itemId,
    requestId: item.requestId,
    workerId: 'worker-1',
    scores: item.pairs.map((pair) => ({
      index: pair.index,
      score: fakeScore(pair.document),
      tokens: fakeTokens(pair.query, pair.document),
    })),
  };
}

export const liveWorker = (model: string, maxModelLen = 8192): WorkerInfo => ({
  workerId: `worker-${model}`,
  model,
  maxModelLen,
  startedAt: 1_700_000_000,
});

/**
 * A WorkQueue whose "workers" answer on the next tick with `answer(item)` (none, one, or
 * duplicates). Records what the gateway submitted.
 */
export class FakeWorkQueue implements WorkQueue {
  readonly submitted: WorkItem[] = [];
  workers: WorkerInfo[] = [liveWorker('qwen3-reranker')];
  answer: (item: WorkItem) => WorkResult[] = (item) => [scoredResult(item)];
  submitError: Error | null = null;
  pingError: Error | null = null;
  subscriptions = 0;
  readonly cancelled: CancelledRequest[] = [];
  private readonly channels = new Map<string, (result: WorkResult) => void>();

  async submit(item: WorkItem): Promise<void> {
    if (this.submitError) throw this.submitError;
    this.submitted.push(structuredClone(item));
    const results = this.answer(item);
    setImmediate(() => results.forEach((result) => this.publish(item.replyTo, result)));
  }

  publish(replyTo: string, result: WorkResult): void {
    this.channels.get(replyTo)?.(result);
  }

  async cancel(request: CancelledRequest): Promise<void> {
    this.cancelled.push(request);
  }

  async subscribeResults(replyTo: string, onResult: (result: WorkResult) => void): Promise<() => Promise<void>> {
    this.subscriptions += 1;
    this.channels.set(replyTo, onResult);
    return async () => {
      this.channels.delete(replyTo);
    };
  }

  consume(): WorkConsumer {
    throw new Error('gateways do not consume');
  }

  async announce(): Promise<() => Promise<void>> {
    throw new Error('gateways do not announce');
  }

  async liveWorkers(): Promise<WorkerInfo[]> {
    return this.workers;
  }

  async stats(): Promise<{ depth: number; pending: number; deadLetters: number }> {
    return { depth: 0, pending: 0, deadLetters: 0 };
  }

  async ping(): Promise<void> {
    if (this.pingError) throw this.pingError;
  }

  async close(): Promise<void> {
    this.channels.clear();
  }
}
