import { createServer } from 'node:http';
import type { Command } from 'commander';
import express from 'express';
import { loadReranker } from '@rerankd/model';
import { RedisWorkQueue } from '@rerankd/queue';
import { createWorkerMetrics, startWorker } from '@rerankd/worker';
import { option, positiveInt, collect } from '../options/define';
import { addModelOptions, modelArgument, noticeIgnoredFlags, toLoadOptions, type ModelFlags } from '../options/model';
import { addRedisOption, type RedisFlags } from '../options/redis';
import { addWorkerOptions, toConsumeOptions, type WorkerFlags } from '../options/worker';
import { closeServer, listen, onShutdownSignal } from '../runtime/lifecycle';
import { processRegistry } from '../runtime/metrics-registry';
import { defaultWorkerId } from '../runtime/worker-id';

interface WorkerCommandFlags extends ModelFlags, RedisFlags, WorkerFlags {
  servedModelName?: string[];
  metricsHost: string;
  metricsPort: number;
}

export function registerWorker(program: Command): void {
  addWorkerOptions(
    addRedisOption(
      addModelOptions(
        program
          .command('worker')
          .description('Load a model and score the work items of its Redis stream.')
          .argument('[model]', 'model directory or Hugging Face hub id (or --model)'),
      ),
    ),
  )
    .addOption(option('--served-model-name <name>', 'the model name clients send (default: the --model string)').argParser(collect))
    .addOption(option('--metrics-host <host>', 'address of the /metrics and /health listener').default('0.0.0.0'))
    .addOption(option('--metrics-port <port>', 'port of the /metrics and /health listener').argParser(positiveInt('--metrics-port')).default(9100))
    .action(async (positional: string | undefined, flags: WorkerCommandFlags) => {
      noticeIgnoredFlags(flags);
      const model = modelArgument(positional, flags);
      const reranker = await loadReranker(toLoadOptions(model, flags));
      const queue = new RedisWorkQueue({ url: flags.redisUrl });
      const registry = processRegistry();
      const metrics = createWorkerMetrics(registry);
      const workerId = flags.workerId ?? defaultWorkerId();
      const names = flags.servedModelName?.length ? flags.servedModelName : [model];
      const consume = toConsumeOptions(flags);
      const workers = await Promise.all(
        names.map((name) => startWorker({ queue, reranker, model: name, workerId, metrics, consume, ...(flags.heartbeatTtlMs ? { heartbeatTtlMs: flags.heartbeatTtlMs } : {}) })),
      );
      const app = express()
        .get('/health', (_req, res) => void res.status(200).end())
        .get('/metrics', async (_req, res) => void res.type(registry.contentType).send(await registry.metrics()));
      const server = createServer(app);
      const port = await listen(server, flags.metricsPort, flags.metricsHost);
      process.stderr.write(`rerankd worker ${workerId}: ${names.join(', ')} (max ${reranker.maxModelLen} tokens); metrics on :${port}\n`);
      onShutdownSignal(async () => {
        await Promise.all(workers.map((w) => w.stop()));
        await closeServer(server);
        await queue.close();
        await reranker.close();
      });
    });
}
