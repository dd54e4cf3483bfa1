import { createServer } from 'node:http';
import type { Command } from 'commander';
import express from 'express';
import { loadReranker, parseDevice } from '@rerankd/model';
import { runRankProcess, startRankServer, type RankServer } from '@rerankd/tensor-parallel';
import { RedisWorkQueue } from '@rerankd/queue';
import { createWorkerMetrics, startWorker } from '@rerankd/worker';
import { option, positiveInt, collect } from '../options/define';
import { addModelOptions, addTensorParallelGroupOptions, modelArgument, noticeIgnoredFlags, toLoadOptions, type ModelFlags } from '../options/model';
import { addRedisOption, type RedisFlags } from '../options/redis';
import { addWorkerOptions, toConsumeOptions, type WorkerFlags } from '../options/worker';
import { closeServer, listen, onShutdownSignal } from '../runtime/lifecycle';
import { processRegistry } from '../runtime/metrics-registry';
import { defaultWorkerId } from '../runtime/worker-id';
import { exitOnGroupFailure, groupPeers, ownListenAddress, tensorParallelSize, tlsOptions } from '../runtime/tensor-parallel';

/** How long a rank asked to stop (SIGTERM) waits for its leader to finish the steps in hand. */
const RANK_DRAIN_TIMEOUT_MS = 60_000;
/** How long a leader whose group broke waits for its items in hand before it exits anyway. */
const GROUP_FAILURE_STOP_MS = 30_000;

interface WorkerCommandFlags extends ModelFlags, RedisFlags, WorkerFlags {
  servedModelName?: string[];
  metricsHost: string;
  metricsPort: number;
}

export function registerWorker(program: Command): void {
  addWorkerOptions(
    addRedisOption(
      addTensorParallelGroupOptions(
        addModelOptions(
          program
            .command('worker')
            .description('Load a model and score the work items of its Redis stream (with --tp N, as rank 0 of a tensor-parallel group).')
            .argument('[model]', 'model directory or Hugging Face hub id (or --model)'),
        ),
      ),
    ),
  )
    .addOption(option('--served-model-name <name>', 'the model name clients send (default: the --model string)').argParser(collect))
    .addOption(option('--metrics-host <host>', 'address of the /metrics and /health listener').default('0.0.0.0'))
    .addOption(option('--metrics-port <port>', 'port of the /metrics and /health listener').argParser(positiveInt('--metrics-port')).default(9100))
    .action(async (positional: string | undefined, flags: WorkerCommandFlags) => {
      noticeIgnoredFlags(flags);
      const spread = groupPeers(flags);
      if (spread && spread.rank > 0) return serveRank(positional ?? flags.model, flags, spread);
      const model = modelArgument(positional, flags);
      // Rank 0 of a group across hosts answers health checks on its own entry's port too.
      const leaderHealth = spread ? await startLeaderHealth(flags, spread.peers) : null;
      let onGroupFailure: (error: Error) => void = exitOnGroupFailure;
      const reranker = await loadReranker(toLoadOptions(model, flags, (error) => onGroupFailure(error)));
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
      const size = tensorParallelSize(flags);
      process.stderr.write(`rerankd worker ${workerId}: ${names.join(', ')} (max ${reranker.maxModelLen} tokens${size > 1 ? `, tensor-parallel group of ${size}` : ''}); metrics on :${port}\n`);
      let stopping: Promise<void> | null = null;
      // Once, whether a signal or a broken group asks first.
      const shutdown = () =>
        (stopping ??= (async () => {
          await Promise.all(workers.map((w) => w.stop()));
          await closeServer(server);
          await queue.close();
          await reranker.close();
          await leaderHealth?.close();
        })());
      // A broken group stops taking work at once: items in hand fail back to the queue (other
      // groups reclaim them) or, when a rank is only leaving, finish; then exit for a restart.
      const stopAndExit = (reason: string) => {
        process.stderr.write(`rerankd worker ${workerId}: ${reason}; stopping and exiting\n`);
        leaderHealth?.setServing(false);
        const stopped = Promise.race([shutdown(), new Promise((resolve) => setTimeout(resolve, GROUP_FAILURE_STOP_MS).unref())]);
        void stopped.catch(() => undefined).finally(() => process.exit(1));
      };
      onGroupFailure = (error) => stopAndExit(`tensor-parallel group failed: ${error.message}`);
      // The same for the thread that runs the model in a single process: it cannot come back.
      if (size === 1) void reranker.failure?.then((error) => stopAndExit(`model runner failed: ${error.message}`));
      onShutdownSignal(shutdown);
    });
}

/**
 * A rank above 0 of a group spread over hosts: serves the rank-to-rank gRPC service on its own
 * entry's port and loads its shard when rank 0 opens a session; /health and /metrics for probes.
 */
async function serveRank(model: string | undefined, flags: WorkerCommandFlags, spread: { rank: number; peers: string[] }): Promise<void> {
  const { rank, peers } = spread;
  const tls = tlsOptions(flags);
  const rankServer = await runRankProcess({
    listen: ownListenAddress(flags, peers, rank),
    rank,
    ...(tls ? { tls } : {}),
    ...(model ? { model } : {}),
    device: parseDevice(flags.device ?? 'cpu'),
    ...(flags.threads ? { threads: flags.threads } : {}),
    log: (line) => process.stderr.write(`rerankd rank ${rank}: ${line}\n`),
  });
  const registry = processRegistry();
  const app = express()
    .get('/health', (_req, res) => void res.status(200).end())
    .get('/metrics', async (_req, res) => void res.type(registry.contentType).send(await registry.metrics()));
  const server = createServer(app);
  const port = await listen(server, flags.metricsPort, flags.metricsHost);
  process.stderr.write(`rerankd worker: rank ${rank} of ${peers.length}, rank-to-rank gRPC on :${rankServer.port}; metrics on :${port}\n`);
  onShutdownSignal(async () => {
    await rankServer.drain('SIGTERM', RANK_DRAIN_TIMEOUT_MS);
    await rankServer.close();
    await closeServer(server);
  });
}

/** Rank 0's own gRPC server: the health service only (sessions start from it). */
function startLeaderHealth(flags: WorkerCommandFlags, peers: string[]): Promise<RankServer> {
  const tls = tlsOptions(flags);
  return startRankServer({
    listen: ownListenAddress(flags, peers, 0),
    leader: true,
    ...(tls ? { tls } : {}),
    loadShard: () => Promise.reject(new Error('rank 0 leads: it takes no session')),
  });
}
