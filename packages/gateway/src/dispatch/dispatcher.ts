import { RerankdError, TimeoutError, type PairScore, type WorkLane, type WorkPair, type WorkResult } from '@rerankd/protocol';
import type { WorkQueue } from '@rerankd/queue';
import { currentRequestObservation } from '../metrics';
import { ClientGoneError, cancelSubmitted } from './cancellation';
import { PendingRequest } from './pending-request';
import { splitPairs } from './split-pairs';

/**
 * Requests of at most this many pairs go to the interactive lane of the queue (a chat turn's
 * rerank of a few passages): workers take them beside the items of big requests, not after.
 */
export const INTERACTIVE_MAX_PAIRS = 8;

export interface DispatcherOptions {
  queue: WorkQueue;
  /** This gateway's reply channel, named in every item it submits. */
  replyTo: string;
  maxPairsPerItem: number;
  requestTimeoutMs: number;
  /** Epoch milliseconds. */
  now: () => number;
  newId: () => string;
}

export interface DispatchJob {
  model: string;
  pairs: WorkPair[];
  instruction?: string;
  truncate: boolean;
  /** Aborted when the client has gone: the request stops waiting and its items are cancelled. */
  signal?: AbortSignal;
}

export interface DispatchOutcome {
  requestId: string;
  /** One per pair, in index order. */
  scores: PairScore[];
}

/**
 * Splits a request into work items, submits them and gathers their results. All results come
 * through one subscription to this gateway's reply channel and are routed by request id.
 */
export class Dispatcher {
  private readonly pending = new Map<string, PendingRequest>();
  private subscription: Promise<void> | null = null;

  constructor(private readonly options: DispatcherOptions) {}

  /** Subscribes once; after a failure the next call tries again. */
  subscribe(): Promise<void> {
    this.subscription ??= this.options.queue
      .subscribeResults(this.options.replyTo, (result) => this.route(result))
      .then(
        () => undefined,
        (error: unknown) => {
          this.subscription = null;
          throw error;
        },
      );
    return this.subscription;
  }

  async dispatch(job: DispatchJob): Promise<DispatchOutcome> {
    await this.subscribe();
    if (job.signal?.aborted) throw new ClientGoneError();
    const { queue, replyTo, maxPairsPerItem, requestTimeoutMs, now, newId } = this.options;
    const requestId = newId();
    const submittedAt = now();
    const deadline = submittedAt + requestTimeoutMs;
    const lane: WorkLane = job.pairs.length <= INTERACTIVE_MAX_PAIRS ? 'interactive' : 'bulk';
    const items = splitPairs(job.pairs, maxPairsPerItem).map((pairs, n) => ({
      itemId: `${requestId}.${n}`,
      requestId,
      model: job.model,
      replyTo,
      deadline,
      submittedAt,
      instruction: job.instruction,
      truncate: job.truncate,
      pairs,
      lane,
    }));
    // The HTTP metrics middleware reads this when the answer is over.
    const observation = currentRequestObservation();
    if (observation) {
      observation.model = job.model;
      observation.pairs = job.pairs.length;
    }
    const request = new PendingRequest(items);
    this.pending.set(requestId, request);
    const clientGone = () => request.fail(new ClientGoneError());
    job.signal?.addEventListener('abort', clientGone, { once: true });
    const timer = setTimeout(
      () => request.fail(new TimeoutError(`The request did not finish within ${requestTimeoutMs} ms.`)),
      deadline - now(),
    );
    try {
      // A failed submit fails the request; the items already submitted are cancelled.
      const submitted = items.map((item) => queue.submit(item));
      Promise.all(submitted).catch((error: unknown) => request.fail(error));
      request.settled.catch(() => cancelSubmitted(queue, submitted, { requestId, model: job.model, deadline }));
      const scores = await request.settled;
      if (observation) observation.promptTokens = scores.reduce((sum, score) => sum + score.tokens, 0);
      return { requestId, scores };
    } catch (error) {
      if (observation && error instanceof RerankdError) observation.errorKind = error.kind;
      throw error;
    } finally {
      clearTimeout(timer);
      job.signal?.removeEventListener('abort', clientGone);
      this.pending.delete(requestId);
    }
  }

  private route(result: WorkResult): void {
    this.pending.get(result.requestId)?.accept(result);
  }
}
