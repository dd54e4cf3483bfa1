import { setTimeout as sleep } from 'node:timers/promises';
import { WorkItemSchema, type WorkItem, type WorkLane } from '@rerankd/protocol';
import { exhaustedResult, isExpired, runDelivery } from '../failures';
import { WORKER_GROUP, cancelledRequestKey, deadLetterStreamKey, isReplyChannel, workStreamKey } from '../keys';
import type { ConsumeOptions, WorkConsumer, WorkHandler } from '../work-queue';
import { execAtomically, type RedisConnection } from './connection';
import { publishResult } from './reply-stream';
import { decodeField, entriesOfRead, entriesOfReclaim, type StreamEntry } from './stream-replies';

/** Dead letters are for inspection; the oldest are trimmed past this many per model. */
const DEAD_LETTER_MAX_LENGTH = 10_000;
const RETRY_AFTER_ERROR_MS = 200;
/** How often the requests of items in hand are checked for cancellation marks. */
const CANCELLATION_CHECK_MS = 200;

export interface ConsumerConnections {
  /** Shared by the queue, for short commands. */
  commands: RedisConnection;
  /** This consumer's own, for XREADGROUP BLOCK; closed when the consumer stops. */
  reader: RedisConnection;
  /** How long one blocking read waits; bounds how long stop() waits for the read loop. */
  readBlockMs: number;
}

function isNoGroupError(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOGROUP');
}

/**
 * One worker's consumer of one lane of one model's work (a stream).
 *
 * - A read loop takes new items (XREADGROUP) whenever fewer than `batchSize` are in hand.
 * - A reclaim loop, every `reclaimIdleMs / 2`, takes over items idle longer than `reclaimIdleMs`
 *   (their consumer died) and dead-letters those delivered more than `maxDeliveries` times.
 * - Every `reclaimIdleMs / 3` the consumer renews the lease on the items it holds, so a slow
 *   item is never reclaimed from a live worker.
 * - An item is acknowledged (and deleted from the stream) only after its result is published.
 * - Items past their deadline, or of a request the gateway cancelled, are acknowledged unscored.
 *   Items in hand whose request is cancelled meanwhile see their handler's signal abort (checked
 *   every CANCELLATION_CHECK_MS) and are acknowledged without a result.
 */
export class RedisWorkConsumer implements WorkConsumer {
  private readonly workStream: string;
  private readonly inHand = new Map<string, Promise<void>>();
  /** Items in hand being scored, by entry id: their request and the controller of their signal. */
  private readonly scoring = new Map<string, { item: WorkItem; controller: AbortController }>();
  private readonly cancellationCheck: NodeJS.Timeout;
  private readonly stopping = new AbortController();
  private readonly loops: Promise<unknown>;
  private readonly leaseRenewal: NodeJS.Timeout;
  private reclaimCursor = '0-0';
  private stopped: Promise<void> | undefined;

  constructor(
    private readonly connections: ConsumerConnections,
    private readonly model: string,
    lane: WorkLane,
    private readonly workerId: string,
    private readonly handler: WorkHandler,
    private readonly options: Required<ConsumeOptions>,
  ) {
    this.workStream = workStreamKey(model, lane);
    this.leaseRenewal = setInterval(() => void this.renewLeases(), Math.max(1, Math.floor(options.reclaimIdleMs / 3)));
    this.leaseRenewal.unref();
    this.cancellationCheck = setInterval(() => void this.abortCancelled(), CANCELLATION_CHECK_MS);
    this.cancellationCheck.unref();
    this.loops = Promise.all([this.readLoop(), this.reclaimLoop()]);
  }

  stop(): Promise<void> {
    this.stopped ??= this.finish();
    return this.stopped;
  }

  private async finish(): Promise<void> {
    this.stopping.abort();
    await this.loops;
    await Promise.all(this.inHand.values());
    clearInterval(this.leaseRenewal);
    clearInterval(this.cancellationCheck);
    await this.leaveGroup().catch(() => undefined);
    await this.connections.reader.close();
  }

  private get isStopping(): boolean {
    return this.stopping.signal.aborted;
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }

  private async readLoop(): Promise<void> {
    while (!this.isStopping) {
      if (this.inHand.size >= this.options.batchSize) {
        await Promise.race(this.inHand.values());
        continue;
      }
      try {
        const reply = await this.connections.reader.call((client) =>
          client.xreadgroup(
            'GROUP', WORKER_GROUP, this.workerId,
            'COUNT', this.options.batchSize - this.inHand.size,
            'BLOCK', this.connections.readBlockMs,
            'STREAMS', this.workStream, '>',
          ),
        );
        for (const entry of entriesOfRead(reply)) this.take(entry, 1);
      } catch (error) {
        // A missing group means a fresh stream or a Redis that restarted empty: make it again.
        if (isNoGroupError(error)) await this.createGroup().catch(() => this.pause(RETRY_AFTER_ERROR_MS));
        else await this.pause(RETRY_AFTER_ERROR_MS);
      }
    }
  }

  private async createGroup(): Promise<void> {
    try {
      // From id 0: items submitted before any worker existed are served too.
      await this.connections.commands.call((client) =>
        client.xgroup('CREATE', this.workStream, WORKER_GROUP, '0', 'MKSTREAM'),
      );
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
    }
  }

  private async reclaimLoop(): Promise<void> {
    const interval = Math.max(1, Math.floor(this.options.reclaimIdleMs / 2));
    while (!this.isStopping) {
      await this.pause(interval);
      const room = this.options.batchSize - this.inHand.size;
      if (this.isStopping || room <= 0) continue;
      try {
        const reply = await this.connections.commands.call((client) =>
          client.reclaimWork(this.workStream, WORKER_GROUP, this.workerId, this.options.reclaimIdleMs, this.reclaimCursor, room),
        );
        const { cursor, entries } = entriesOfReclaim(reply);
        this.reclaimCursor = cursor;
        for (const entry of entries) this.take(entry, entry.deliveries);
      } catch {
        // Redis away or the group gone: the read loop waits for Redis and makes the group again.
      }
    }
  }

  private async renewLeases(): Promise<void> {
    if (this.inHand.size === 0) return;
    await this.connections.commands
      .call((client) => client.renewLeases(this.workStream, WORKER_GROUP, this.workerId, ...this.inHand.keys()))
      .catch(() => undefined); // a lapsed lease only risks a duplicate result, which gateways tolerate
  }

  private take(entry: StreamEntry, deliveries: number): void {
    if (this.inHand.has(entry.id)) return; // our own item, reclaimed after a missed renewal
    const work = this.process(entry, deliveries)
      // Redis went away mid-item: it stays pending and another delivery finishes it.
      .catch(() => undefined)
      .finally(() => this.inHand.delete(entry.id));
    this.inHand.set(entry.id, work);
  }

  private async process(entry: StreamEntry, deliveries: number): Promise<void> {
    const item = decodeField(WorkItemSchema, entry.fields.get('item'));
    if (!item || !isReplyChannel(item.replyTo)) return this.deadLetter(entry, deliveries, 'malformed work item');
    if (deliveries > this.options.maxDeliveries) {
      await publishResult(this.connections.commands, item.replyTo, exhaustedResult(item, this.workerId, deliveries - 1));
      return this.deadLetter(entry, deliveries - 1, 'workers stopped before finishing it');
    }
    // The gateway has already answered 504: computing it would only waste the device.
    if (isExpired(item)) return this.acknowledge(entry.id);
    // Nobody awaits it: its client left, or another item of its request failed.
    if (await this.isCancelled(item)) return this.acknowledge(entry.id);

    const controller = new AbortController();
    this.scoring.set(entry.id, { item, controller });
    const outcome = await runDelivery(this.handler, item, this.workerId, deliveries, this.options.maxDeliveries, controller.signal).finally(() =>
      this.scoring.delete(entry.id),
    );
    if (outcome.kind === 'cancelled') return this.acknowledge(entry.id);
    if (outcome.kind === 'retry') return this.release(entry.id);
    await publishResult(this.connections.commands, item.replyTo, outcome.result);
    if (outcome.kind === 'exhausted') return this.deadLetter(entry, deliveries, String(outcome.error));
    await this.acknowledge(entry.id);
  }

  /** Aborts the signals of items in hand whose request carries a cancellation mark. */
  private async abortCancelled(): Promise<void> {
    const scoring = [...this.scoring.values()].filter((s) => !s.controller.signal.aborted);
    if (scoring.length === 0) return;
    // One key per item; keys of one model share a hash slot, so MGET works on a cluster too.
    const marks = await this.connections.commands
      .call((client) => client.mget(...scoring.map(({ item }) => cancelledRequestKey(item.model, item.requestId))))
      .catch(() => [] as (string | null)[]); // Redis away: the next check asks again
    marks.forEach((mark, i) => {
      if (mark !== null) scoring[i]?.controller.abort();
    });
  }

  private async isCancelled(item: WorkItem): Promise<boolean> {
    const marked = await this.connections.commands.call((client) => client.exists(cancelledRequestKey(item.model, item.requestId)));
    return marked > 0;
  }

  private async acknowledge(id: string): Promise<void> {
    await this.connections.commands.call((client) =>
      execAtomically(client.multi().xack(this.workStream, WORKER_GROUP, id).xdel(this.workStream, id)),
    );
  }

  /** Makes an item whose handler threw reclaimable at the next pass, by this or another worker. */
  private async release(id: string): Promise<void> {
    await this.connections.commands.call((client) =>
      client.xclaim(this.workStream, WORKER_GROUP, this.workerId, 0, id, 'IDLE', this.options.reclaimIdleMs, 'JUSTID'),
    );
  }

  private async deadLetter(entry: StreamEntry, deliveries: number, reason: string): Promise<void> {
    const deadLetters = deadLetterStreamKey(this.model);
    await this.connections.commands.call((client) =>
      execAtomically(
        client
          .multi()
          .xadd(deadLetters, 'MAXLEN', '~', DEAD_LETTER_MAX_LENGTH, '*',
            'item', entry.fields.get('item') ?? '',
            'reason', reason,
            'deliveries', deliveries,
            'workerId', this.workerId)
          .xack(this.workStream, WORKER_GROUP, entry.id)
          .xdel(this.workStream, entry.id),
      ),
    );
  }

  /** Drops this consumer from the group once it holds nothing, so restarts leave no trace. */
  private async leaveGroup(): Promise<void> {
    await this.connections.commands.call(async (client) => {
      const pending = await client.xpending(this.workStream, WORKER_GROUP, '-', '+', 1, this.workerId);
      if (pending.length === 0) await client.xgroup('DELCONSUMER', this.workStream, WORKER_GROUP, this.workerId);
    });
  }
}
