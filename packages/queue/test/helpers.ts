import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkItem, WorkResult } from '@rerankd/protocol';
import { replyChannel, type WorkQueue } from '../src';

export function uniqueModel(): string {
  return `model-${randomUUID().slice(0, 8)}`;
}

export function uniqueReplyTo(): string {
  return replyChannel(`gateway-${randomUUID().slice(0, 8)}`);
}

export function workItem(model: string, replyTo: string, overrides: Partial<WorkItem> = {}): WorkItem {
  const itemId = overrides.itemId ?? randomUUID();
  return {
    itemId,
    requestId: `request-${itemId}`,
    model,
    replyTo,
    deadline: Date.now() + 60_000,
    truncate: true,
    pairs: [{ index: 0, query: 'what is a cross-encoder?', document: 'A model that reads query and document together.' }],
    ...overrides,
  };
}

/** A handler's successful answer: one score per pair. */
export function scored(item: WorkItem, workerId: string): WorkResult {
  return {
    ok: true,
    itemId: item.itemId,
    requestId: item.requestId,
    workerId,
    scores: item.pairs.map((pair) => ({ index: pair.index, score: 0.5, tokens: 12 })),
  };
}

/** Results arriving on one reply channel, taken in order. */
export class ResultInbox {
  readonly received: WorkResult[] = [];
  private taken = 0;
  private waiter: (() => void) | undefined;
  unsubscribe: () => Promise<void> = async () => undefined;

  static async open(queue: WorkQueue, replyTo: string): Promise<ResultInbox> {
    const inbox = new ResultInbox();
    inbox.unsubscribe = await queue.subscribeResults(replyTo, (result) => inbox.push(result));
    return inbox;
  }

  /** The next result not yet taken; rejects when none arrives within `timeoutMs`. */
  async next(timeoutMs = 5000): Promise<WorkResult> {
    const deadline = Date.now() + timeoutMs;
    while (this.taken >= this.received.length) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no result within ${timeoutMs} ms`);
      await Promise.race([new Promise<void>((resolve) => (this.waiter = resolve)), sleep(left)]);
    }
    return this.received[this.taken++] as WorkResult;
  }

  private push(result: WorkResult): void {
    this.received.push(result);
    this.waiter?.();
  }
}

/** Retries `check` until it stops throwing, or rethrows its last error after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}
