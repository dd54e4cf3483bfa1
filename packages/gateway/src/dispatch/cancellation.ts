import { RerankdError } from '@rerankd/protocol';
import type { CancelledRequest, WorkQueue } from '@rerankd/queue';

/**
 * The client closed its connection before the answer. Nobody reads what this error would say;
 * it ends the request's wait so that its items can be cancelled.
 */
export class ClientGoneError extends RerankdError {
  constructor() {
    super('invalid_request', 'The client closed the connection before the answer.');
  }
}

/**
 * A request that ended without its results (its client left, it timed out, an item failed)
 * cancels its items, so that workers do not score what nobody awaits and the queue's places
 * are freed. Nothing is cancelled when no item reached the queue (a 429 for every item).
 */
export async function cancelSubmitted(queue: WorkQueue, submitted: Promise<void>[], request: CancelledRequest): Promise<void> {
  const outcomes = await Promise.allSettled(submitted);
  if (outcomes.some((outcome) => outcome.status === 'fulfilled')) await queue.cancel(request).catch(() => undefined);
}
