import type { WorkItem, WorkResult } from '@rerankd/protocol';

/** What a worker announces (and refreshes with heartbeats) for one model it serves. */
export interface WorkerInfo {
  workerId: string;
  model: string;
  maxModelLen: number;
  /** Epoch seconds at which the worker started. */
  startedAt: number;
}

/** A request whose items should not be scored any more. */
export interface CancelledRequest {
  requestId: string;
  model: string;
  /** The deadline its items carry (epoch ms): after it they are dropped anyway. */
  deadline: number;
}

/**
 * Scores one work item. `cancelled` aborts when the gateway cancels the item's request while the
 * item is in hand: the handler may stop early, and whatever it returns is not published.
 */
export type WorkHandler = (item: WorkItem, cancelled: AbortSignal) => Promise<WorkResult>;

export interface ConsumeOptions {
  /** Items pending longer than this on a dead consumer are reclaimed by another. */
  reclaimIdleMs?: number;
  /** After this many deliveries an item goes to the dead-letter stream and its request fails. */
  maxDeliveries?: number;
  /** Items taken at once by one consumer. */
  batchSize?: number;
}

export interface WorkConsumer {
  /** Stops taking new items, finishes the ones in hand (result published, then acknowledged). */
  stop(): Promise<void>;
}

/**
 * The queue between gateways and workers. Redis Streams in a cluster, in-memory inside
 * `rerankd serve`; both keep the same semantics: at-least-once delivery, acknowledgement only
 * after the result is published, reclaim of items left by dead workers, dead letters.
 */
export interface WorkQueue {
  /**
   * Gateway: enqueue an item on its model's stream. Throws QueueFullError when the model's
   * backlog (waiting plus in progress) is full, UnavailableError when the store cannot be reached.
   */
  submit(item: WorkItem): Promise<void>;
  /**
   * Gateway: nobody awaits this request any more (its client left, or another of its items
   * failed). Its items no worker has started are dropped unscored; the handlers of items already
   * being scored see their signal abort, and their results are not published. Best effort:
   * failing to reach the store is not an error.
   */
  cancel(request: CancelledRequest): Promise<void>;
  /** Gateway: deliver results addressed to `replyTo` (duplicates are possible). Returns an unsubscribe. */
  subscribeResults(replyTo: string, onResult: (result: WorkResult) => void): Promise<() => Promise<void>>;
  /**
   * Worker: score items of `model` with `handler`; its result is published, then the item acknowledged.
   * Items past their deadline are dropped unscored. A RerankdError thrown by `handler` fails the
   * item at once with that error's kind; any other error counts as a failed delivery: the item
   * is delivered again, and after `maxDeliveries` it becomes a dead letter and fails with 'internal'.
   */
  consume(
    model: string,
    workerId: string,
    handler: WorkHandler,
    options?: ConsumeOptions,
  ): WorkConsumer;
  /** Worker: announce itself; refreshed until the returned function is called. */
  announce(info: WorkerInfo, ttlMs?: number): Promise<() => Promise<void>>;
  /** Workers alive now (heartbeat within TTL), for /v1/models and 503s. */
  liveWorkers(): Promise<WorkerInfo[]>;
  /** Per model: items waiting (depth), taken but unacknowledged (pending), dead letters. The autoscaling signal. */
  stats(model: string): Promise<{ depth: number; pending: number; deadLetters: number }>;
  /** Throws UnavailableError when the backing store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
