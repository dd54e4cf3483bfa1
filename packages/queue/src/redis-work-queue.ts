import { QueueFullError, type WorkItem, type WorkResult } from '@rerankd/protocol';
import { DEFAULT_HEARTBEAT_TTL_MS, DEFAULT_MAX_QUEUE_LENGTH, resolveConsumeOptions } from './options';
import { WORKER_GROUP, WORK_LANES, cancelledRequestKey, deadLetterStreamKey, workStreamKey } from './keys';
import { RedisConnection, type ConnectionSettings } from './redis/connection';
import { RedisWorkConsumer } from './redis/redis-work-consumer';
import { ReplyStreamReader } from './redis/reply-stream';
import { WorkerRegistry } from './redis/worker-registry';
import type { CancelledRequest, ConsumeOptions, WorkConsumer, WorkerInfo, WorkHandler, WorkQueue } from './work-queue';

export interface RedisWorkQueueOptions {
  /** `redis://host:port`, `redis://:password@host:port/db` or `rediss://…` for TLS. */
  url: string;
  /** Items waiting or in progress per model at which submit rejects with QueueFullError. */
  maxQueueLength?: number;
  /** The longest a call waits for Redis before it fails with UnavailableError. */
  timeoutMs?: number;
  /** How long one blocking read waits; bounds how long stopping a consumer takes. */
  readBlockMs?: number;
}

/**
 * WorkQueue on Redis Streams: per model one stream per lane (interactive, bulk), each with one
 * consumer group; results on a stream per gateway, heartbeat keys for the worker registry. See
 * the consumer for delivery rules.
 */
export class RedisWorkQueue implements WorkQueue {
  private readonly settings: ConnectionSettings;
  private readonly maxQueueLength: number;
  private readonly readBlockMs: number;
  private readonly commands: RedisConnection;
  private readonly registry: WorkerRegistry;
  private readonly consumers = new Set<WorkConsumer>();
  private readonly readers = new Set<ReplyStreamReader>();
  private closed: Promise<void> | undefined;

  constructor(options: RedisWorkQueueOptions) {
    this.settings = { url: options.url, timeoutMs: options.timeoutMs ?? 1000 };
    this.maxQueueLength = options.maxQueueLength ?? DEFAULT_MAX_QUEUE_LENGTH;
    this.readBlockMs = options.readBlockMs ?? 1000;
    this.commands = new RedisConnection(this.settings, 'rerankd-queue');
    this.registry = new WorkerRegistry(this.commands);
  }

  async submit(item: WorkItem): Promise<void> {
    const lane = item.lane ?? 'bulk';
    const otherLane = lane === 'bulk' ? 'interactive' : 'bulk';
    const id = await this.commands.call((client) =>
      client.submitWork(workStreamKey(item.model, lane), workStreamKey(item.model, otherLane), this.maxQueueLength, JSON.stringify(item)),
    );
    if (id === null) {
      throw new QueueFullError(`The queue of model '${item.model}' holds ${this.maxQueueLength} items; retry later.`);
    }
  }

  /**
   * Marks the request cancelled until its deadline; consumers check the mark before scoring an
   * item and acknowledge the item unscored. A mark also covers items still being submitted.
   */
  async cancel(request: CancelledRequest): Promise<void> {
    const ttlMs = Math.ceil(request.deadline - Date.now());
    if (ttlMs <= 0) return; // expired items are dropped anyway
    await this.commands
      .call((client) => client.set(cancelledRequestKey(request.model, request.requestId), '1', 'PX', ttlMs))
      .catch(() => undefined);
  }

  async subscribeResults(replyTo: string, onResult: (result: WorkResult) => void): Promise<() => Promise<void>> {
    const connection = new RedisConnection(this.settings, 'rerankd-replies', true);
    const reader = await ReplyStreamReader.start(connection, replyTo, onResult, this.readBlockMs).catch((error) => {
      connection.disconnect();
      throw error;
    });
    this.readers.add(reader);
    return async () => {
      this.readers.delete(reader);
      await reader.stop();
    };
  }

  consume(
    model: string,
    workerId: string,
    handler: WorkHandler,
    options?: ConsumeOptions,
  ): WorkConsumer {
    const resolved = resolveConsumeOptions(options);
    // A consumer per lane, each holding up to batchSize items: bulk items in hand never keep an
    // interactive item waiting in its stream.
    const lanes = WORK_LANES.map((lane) => {
      const reader = new RedisConnection(this.settings, `rerankd-consumer-${lane}`, true);
      return new RedisWorkConsumer({ commands: this.commands, reader, readBlockMs: this.readBlockMs }, model, lane, workerId, handler, resolved);
    });
    const consumer: WorkConsumer = { stop: async () => void (await Promise.all(lanes.map((lane) => lane.stop()))) };
    this.consumers.add(consumer);
    return {
      stop: async () => {
        this.consumers.delete(consumer);
        await consumer.stop();
      },
    };
  }

  announce(info: WorkerInfo, ttlMs = DEFAULT_HEARTBEAT_TTL_MS): Promise<() => Promise<void>> {
    return this.registry.announce(info, ttlMs);
  }

  liveWorkers(): Promise<WorkerInfo[]> {
    return this.registry.live();
  }

  /** depth: items no worker has taken yet; pending: taken, not yet acknowledged (all lanes). */
  async stats(model: string): Promise<{ depth: number; pending: number; deadLetters: number }> {
    const lanes = await Promise.all(WORK_LANES.map((lane) => this.laneStats(workStreamKey(model, lane))));
    const deadLetters = await this.commands.call((client) => client.xlen(deadLetterStreamKey(model)));
    return {
      depth: lanes.reduce((sum, lane) => sum + Math.max(0, lane.length - lane.pending), 0),
      pending: lanes.reduce((sum, lane) => sum + lane.pending, 0),
      deadLetters,
    };
  }

  private laneStats(stream: string): Promise<{ length: number; pending: number }> {
    return this.commands.call(async (client) => {
      const [length, pending] = await Promise.all([
        client.xlen(stream),
        client.xpending(stream, WORKER_GROUP).then(
          (summary) => Number(summary[0] ?? 0),
          (error: Error) => {
            if (error.message.startsWith('NOGROUP')) return 0; // no worker has read this lane yet
            throw error;
          },
        ),
      ]);
      return { length, pending };
    });
  }

  async ping(): Promise<void> {
    await this.commands.call((client) => client.ping());
  }

  /** Stops consumers (finishing items in hand) and readers, then quits; heartbeat keys expire. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await Promise.all([...this.consumers].map((consumer) => consumer.stop()));
      await Promise.all([...this.readers].map((reader) => reader.stop()));
      this.registry.close();
      await this.commands.close();
    })();
    return this.closed;
  }
}
