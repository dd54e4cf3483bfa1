import { RerankdError, type ErrorKind, type WorkItem, type WorkResult } from '@rerankd/protocol';
import type { WorkHandler } from './work-queue';

/**
 * What both queues do with an item that cannot be scored, so that a request fails the same
 * way in `rerankd serve` and in a cluster.
 */

export function isExpired(item: WorkItem, now = Date.now()): boolean {
  return item.deadline <= now;
}

export function failedResult(item: WorkItem, workerId: string, kind: ErrorKind, message: string): WorkResult {
  return { ok: false, itemId: item.itemId, requestId: item.requestId, workerId, error: { kind, message } };
}

/**
 * A typed error thrown by a handler is an answer (a document too long, say): it fails the item
 * at once. Anything else is treated like a crashed worker and the item is delivered again.
 */
export function answerFromError(error: unknown, item: WorkItem, workerId: string): WorkResult | undefined {
  return error instanceof RerankdError ? failedResult(item, workerId, error.kind, error.message) : undefined;
}

/** The result that ends a request whose item used up its deliveries. */
export function exhaustedResult(item: WorkItem, workerId: string, deliveries: number, lastError?: unknown): WorkResult {
  // The client sees this message: name what happened, not the worker's internals.
  const cause = lastError === undefined ? 'its workers stopped before finishing it' : 'the worker failed while scoring it';
  return failedResult(
    item,
    workerId,
    'dead_letter',
    `Work item ${item.itemId} of request ${item.requestId} failed ${deliveries} times (${cause}); it was moved to the dead letters.`,
  );
}

/** How one delivery of an item ended: with a result to publish, or to be delivered again. */
export type DeliveryOutcome =
  | { kind: 'result'; result: WorkResult }
  /** Its last allowed delivery failed: the result says so, and the item goes to the dead letters. */
  | { kind: 'exhausted'; result: WorkResult; error: unknown }
  | { kind: 'retry' }
  /** Its request was cancelled while it was scored: nobody awaits a result. */
  | { kind: 'cancelled' };

/** Runs the handler on one delivery of an item; the queues differ only in what they do next. */
export async function runDelivery(
  handler: WorkHandler,
  item: WorkItem,
  workerId: string,
  deliveries: number,
  maxDeliveries: number,
  cancelled: AbortSignal,
): Promise<DeliveryOutcome> {
  try {
    const result = await handler(item, cancelled);
    return cancelled.aborted ? { kind: 'cancelled' } : { kind: 'result', result };
  } catch (error) {
    if (cancelled.aborted) return { kind: 'cancelled' };
    const answer = answerFromError(error, item, workerId);
    if (answer) return { kind: 'result', result: answer };
    if (deliveries >= maxDeliveries) return { kind: 'exhausted', result: exhaustedResult(item, workerId, deliveries, error), error };
    return { kind: 'retry' };
  }
}
