import { createApp, type ApiKeys, type GatewayConfigInput } from '@rerankd/gateway';
import { loadReranker, type LoadedReranker, type LoadRerankerOptions } from '@rerankd/model';
import { MemoryWorkQueue } from '@rerankd/queue';
import { createWorkerMetrics, startWorker } from '@rerankd/worker';
import type { Registry } from 'prom-client';
import { createHttpServer } from './http-server';
import { closeServer, listen } from './lifecycle';
import { processRegistry } from './metrics-registry';
import { registerQueueMetrics } from './queue-metrics';
import { defaultWorkerId } from './worker-id';

export interface EmbeddedServerOptions {
  load: LoadRerankerOptions;
  /** Names clients use; the first is also the model id in /v1/models. */
  servedModelNames: string[];
  gateway: Omit<GatewayConfigInput, 'servedModelNames'>;
  maxQueueLength?: number;
  host: string;
  port: number;
  /** The keys clients must present, when they can change while serving (a key file). */
  apiKeys?: ApiKeys;
  /** See createHttpServer. */
  receiveTimeoutMs?: number;
}

export interface EmbeddedServer {
  url: string;
  port: number;
  reranker: LoadedReranker;
  registry: Registry;
  close(): Promise<void>;
}

/**
 * Work items the one worker holds at once. With no other worker to share with, it takes many, so
 * that the engine sees a small request behind the items of big ones and schedules it first;
 * items of a cancelled request are stopped in the engine, and the queue's length limit counts
 * items in hand too.
 */
const EMBEDDED_ITEMS_IN_HAND = 64;

/** Gateway and one worker in this process, joined by the in-memory queue: `rerankd serve`. */
export async function startEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const reranker = await loadReranker(options.load);
  const queue = new MemoryWorkQueue(options.maxQueueLength !== undefined ? { maxQueueLength: options.maxQueueLength } : {});
  // One /metrics for both halves: the gateway's HTTP, request and queue metrics and the worker's.
  const registry = processRegistry();
  registerQueueMetrics(registry, queue);
  const metrics = createWorkerMetrics(registry);
  const workers = await Promise.all(
    options.servedModelNames.map((model) => startWorker({ queue, reranker, model, workerId: defaultWorkerId(), metrics, consume: { batchSize: EMBEDDED_ITEMS_IN_HAND } })),
  );
  const app = createApp({
    queue,
    gatewayId: 'embedded',
    config: { ...options.gateway, servedModelNames: options.servedModelNames },
    registry,
    ...(options.apiKeys ? { apiKeys: options.apiKeys } : {}),
  });
  const server = createHttpServer(app, options.receiveTimeoutMs);
  const port = await listen(server, options.port, options.host);
  return {
    url: `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`,
    port,
    reranker,
    registry,
    async close() {
      await closeServer(server);
      await Promise.all(workers.map((w) => w.stop()));
      await queue.close();
      await reranker.close();
    },
  };
}
