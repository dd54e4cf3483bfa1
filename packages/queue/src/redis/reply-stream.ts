import { setTimeout as sleep } from 'node:timers/promises';
import { WorkResultSchema, type WorkResult } from '@rerankd/protocol';
import { execAtomically, type RedisConnection } from './connection';
import { decodeField, entriesOfRead } from './stream-replies';

/**
 * Results travel on one stream per gateway rather than by PUBLISH: a result published while the
 * gateway's connection is down waits in the stream and is read when the gateway reconnects,
 * where pub/sub would lose it and leave the request to time out.
 */

/** Old results are trimmed past this many, and a gateway's stream vanishes once it is gone this long. */
const REPLY_STREAM_MAX_LENGTH = 10_000;
const REPLY_STREAM_RETENTION_MS = 5 * 60_000;
const RETRY_AFTER_ERROR_MS = 200;

export async function publishResult(commands: RedisConnection, replyTo: string, result: WorkResult): Promise<void> {
  await commands.call((client) =>
    execAtomically(
      client
        .multi()
        .xadd(replyTo, 'MAXLEN', '~', REPLY_STREAM_MAX_LENGTH, '*', 'result', JSON.stringify(result))
        .pexpire(replyTo, REPLY_STREAM_RETENTION_MS),
    ),
  );
}

/** Reads one reply stream on its own connection and hands each result to `onResult`. */
export class ReplyStreamReader {
  private stopped = false;
  private readonly reading: Promise<void>;

  private constructor(
    private readonly connection: RedisConnection,
    private readonly replyTo: string,
    private readonly onResult: (result: WorkResult) => void,
    private readonly blockMs: number,
    private lastId: string,
  ) {
    this.reading = this.read();
  }

  /** Starts after the newest result already in the stream: only what comes next is delivered. */
  static async start(
    connection: RedisConnection,
    replyTo: string,
    onResult: (result: WorkResult) => void,
    blockMs: number,
  ): Promise<ReplyStreamReader> {
    const newest = await connection.call((client) => client.xrevrange(replyTo, '+', '-', 'COUNT', 1));
    return new ReplyStreamReader(connection, replyTo, onResult, blockMs, newest[0]?.[0] ?? '0-0');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // The reader holds nothing on the server, so cutting a blocked read short loses nothing.
    this.connection.disconnect();
    await this.reading;
  }

  private async read(): Promise<void> {
    while (!this.stopped) {
      try {
        const reply = await this.connection.call((client) =>
          client.xread('COUNT', 100, 'BLOCK', this.blockMs, 'STREAMS', this.replyTo, this.lastId),
        );
        for (const entry of entriesOfRead(reply)) {
          this.lastId = entry.id;
          this.deliver(entry.fields.get('result'));
        }
      } catch {
        // Redis is away: read on from the last id once it is back, so nothing is skipped.
        if (!this.stopped) await sleep(RETRY_AFTER_ERROR_MS);
      }
    }
  }

  private deliver(raw: string | undefined): void {
    const result = decodeField(WorkResultSchema, raw);
    if (!result) return process.emitWarning(`Ignored a malformed result on ${this.replyTo}.`);
    try {
      this.onResult(result);
    } catch (error) {
      process.emitWarning(`A result listener on ${this.replyTo} threw: ${String(error)}`);
    }
  }
}
