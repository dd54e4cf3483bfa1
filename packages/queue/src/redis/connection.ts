import { once } from 'node:events';
import { Redis, type ChainableCommander, type RedisOptions } from 'ioredis';
import { UnavailableError } from '@rerankd/protocol';
import { QUEUE_SCRIPTS } from './scripts';

export interface ConnectionSettings {
  /** `redis://`, `rediss://` (TLS) or `redis://:password@host:port/db`, passed to ioredis as is. */
  url: string;
  /** The longest a call waits for Redis, to connect or to answer, before UnavailableError. */
  timeoutMs: number;
}

/** A reconnect attempt at most every second, for as long as the process lives. */
function retryDelay(attempt: number): number {
  return Math.min(attempt * 100, 1000);
}

/**
 * One ioredis connection that fails fast while Redis is away and reconnects by itself, so a
 * request gets UnavailableError within `timeoutMs` instead of hanging, and succeeds again as
 * soon as Redis is back, without restarting the process.
 */
export class RedisConnection {
  readonly client: Redis;
  private lastError: Error | undefined;

  /** `blocking`: the connection waits in XREAD/XREADGROUP BLOCK, so its reply may be slow by design. */
  constructor(
    private readonly settings: ConnectionSettings,
    name: string,
    blocking = false,
  ) {
    const options: RedisOptions = {
      connectionName: name,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: retryDelay,
      connectTimeout: settings.timeoutMs,
      scripts: QUEUE_SCRIPTS,
      ...(blocking
        ? { blockingTimeout: settings.timeoutMs, blockingTimeoutGrace: settings.timeoutMs }
        : { commandTimeout: settings.timeoutMs }),
    };
    this.client = new Redis(settings.url, options);
    // Without a listener ioredis prints every failed reconnect; keep the last one for messages.
    this.client.on('error', (error: Error) => {
      this.lastError = error;
    });
    this.client.on('ready', () => {
      this.lastError = undefined;
    });
  }

  /**
   * Runs `command` once Redis is reachable. Errors Redis replied with (NOGROUP, …) pass through;
   * every other failure means Redis cannot be reached and becomes UnavailableError.
   */
  async call<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    await this.whenReady();
    try {
      return await command(this.client);
    } catch (error) {
      if (error instanceof Error && error.name === 'ReplyError') throw error;
      throw this.unavailable(error);
    }
  }

  /** For connections that hold nothing on the server (readers of reply streams). */
  disconnect(): void {
    this.client.disconnect();
  }

  async close(): Promise<void> {
    if (this.client.status === 'end') return;
    if (this.client.status !== 'ready') return this.client.disconnect();
    await this.client.quit().catch(() => this.client.disconnect());
  }

  private async whenReady(): Promise<void> {
    if (this.client.status === 'ready') return;
    if (this.client.status === 'end') throw new UnavailableError('The queue is closed.');
    try {
      // Rejects early on the next 'error' event, so a refused connection fails at once.
      await once(this.client, 'ready', { signal: AbortSignal.timeout(this.settings.timeoutMs) });
    } catch {
      throw this.unavailable(this.lastError ?? `no connection within ${this.settings.timeoutMs} ms`);
    }
  }

  /** Names the server but never the URL, which may hold a password. */
  private unavailable(cause: unknown): UnavailableError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const { host, port } = this.client.options;
    return new UnavailableError(`Redis at ${host}:${port} is unavailable: ${reason}`);
  }
}

/** Runs a MULTI … EXEC chain and throws the first error any of its commands replied with. */
export async function execAtomically(transaction: ChainableCommander): Promise<void> {
  const replies = await transaction.exec();
  if (replies === null) throw new Error('Redis discarded the transaction.');
  const failed = replies.find(([error]) => error !== null);
  if (failed) throw failed[0];
}
