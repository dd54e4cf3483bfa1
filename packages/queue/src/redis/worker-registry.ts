import { z } from 'zod';
import { WORKER_REGISTRY_PATTERN, workerRegistryKey } from '../keys';
import type { WorkerInfo } from '../work-queue';
import type { RedisConnection } from './connection';
import { decodeField } from './stream-replies';

const WorkerInfoSchema = z.object({
  workerId: z.string(),
  model: z.string(),
  maxModelLen: z.number(),
  startedAt: z.number(),
}) satisfies z.ZodType<WorkerInfo>;

/**
 * Workers announce themselves with a key that expires after `ttlMs` unless refreshed, so a
 * worker that dies drops out of the registry by itself.
 */
export class WorkerRegistry {
  private readonly heartbeats = new Set<NodeJS.Timeout>();

  constructor(private readonly commands: RedisConnection) {}

  async announce(info: WorkerInfo, ttlMs: number): Promise<() => Promise<void>> {
    const key = workerRegistryKey(info.model, info.workerId);
    const value = JSON.stringify(info);
    const beat = () => this.commands.call((client) => client.set(key, value, 'PX', ttlMs));
    await beat();
    // Three beats per TTL: one lost beat (a Redis blip) does not drop a live worker.
    const heartbeat = setInterval(() => beat().catch(() => undefined), Math.max(1, Math.floor(ttlMs / 3)));
    heartbeat.unref();
    this.heartbeats.add(heartbeat);
    return async () => {
      this.stop(heartbeat);
      await this.commands.call((client) => client.del(key));
    };
  }

  async live(): Promise<WorkerInfo[]> {
    const keys = new Set<string>();
    let cursor = '0';
    do {
      const [next, found] = await this.commands.call((client) =>
        client.scan(cursor, 'MATCH', WORKER_REGISTRY_PATTERN, 'COUNT', 100),
      );
      cursor = next;
      for (const key of found) keys.add(key);
    } while (cursor !== '0');
    if (keys.size === 0) return [];
    const values = await this.commands.call((client) => client.mget(...keys));
    // A key that expired between SCAN and MGET reads as null and is left out.
    return values.flatMap((value) => decodeField(WorkerInfoSchema, value ?? undefined) ?? []);
  }

  /** Stops every heartbeat; the keys then expire on their own, as a crashed worker's would. */
  close(): void {
    for (const heartbeat of this.heartbeats) this.stop(heartbeat);
  }

  private stop(heartbeat: NodeJS.Timeout): void {
    clearInterval(heartbeat);
    this.heartbeats.delete(heartbeat);
  }
}
