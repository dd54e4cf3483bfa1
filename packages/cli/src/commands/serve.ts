import { createServer } from 'node:http';
import type { Command } from 'commander';
import { createApp } from '@rerankd/gateway';
import { loadReranker } from '@rerankd/model';
import { MemoryWorkQueue } from '@rerankd/queue';
import { createWorkerMetrics, startWorker } from '@rerankd/worker';
import { addGatewayOptions, toGatewayConfig, type GatewayFlags } from '../options/gateway';
import { addModelOptions, modelArgument, noticeIgnoredFlags, toLoadOptions, type ModelFlags } from '../options/model';
import { closeServer, listen, onShutdownSignal } from '../runtime/lifecycle';
import { processRegistry } from '../runtime/metrics-registry';
import { defaultWorkerId } from '../runtime/worker-id';

/** Default model of `rerankd serve` with no model given. */
export const DEFAULT_MODEL = 'Qwen/Qwen3-Reranker-0.6B';

export function registerServe(program: Command): void {
  addGatewayOptions(
    addModelOptions(
      program
        .command('serve')
        .description('Gateway and one worker in one process: no Redis, nothing else to run.')
        .argument('[model]', `model directory or Hugging Face hub id (default: ${DEFAULT_MODEL})`),
    ),
  ).action(async (positional: string | undefined, flags: ModelFlags & GatewayFlags) => {
    noticeIgnoredFlags(flags);
    const model = positional ?? flags.model ?? DEFAULT_MODEL;
    const reranker = await loadReranker(toLoadOptions(modelArgument(model, flags), flags));
    const servedModelNames = flags.servedModelName?.length ? flags.servedModelName : [model];
    const queue = new MemoryWorkQueue(flags.maxQueueLength !== undefined ? { maxQueueLength: flags.maxQueueLength } : {});
    const registry = processRegistry();
    const metrics = createWorkerMetrics(registry);
    const workers = await Promise.all(
      servedModelNames.map((name) => startWorker({ queue, reranker, model: name, workerId: defaultWorkerId(), metrics })),
    );
    const app = createApp({ queue, gatewayId: 'embedded', config: toGatewayConfig(flags, servedModelNames), registry });
    const server = createServer(app);
    const port = await listen(server, flags.port, flags.host);
    process.stderr.write(`rerankd serve: ${servedModelNames.join(', ')} (max ${reranker.maxModelLen} tokens) on http://${flags.host}:${port}\n`);
    onShutdownSignal(async () => {
      await closeServer(server);
      await Promise.all(workers.map((w) => w.stop()));
      await queue.close();
      await reranker.close();
    });
  });
}
