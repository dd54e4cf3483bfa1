import type { Reranker } from '@rerankd/model';
import type { ConsumeOptions, WorkConsumer, WorkQueue } from '@rerankd/queue';
import type { WorkItem, WorkResult } from '@rerankd/protocol';
import type { WorkerMetrics } from './metrics';
import { scoreWorkItem } from './score-item';

export interface WorkerOptions {
  queue: WorkQueue;
  reranker: Reranker;
  /** The name clients use for the model (--served-model-name, or the --model string). */
  model: string;
  workerId: string;
  metrics: WorkerMetrics;
  consume?: ConsumeOptions;
  heartbeatTtlMs?: number;
}

export interface RunningWorker {
  /** Stops taking work, finishes what it holds, and withdraws its announcement. */
  stop(): Promise<void>;
}

/** Takes the model's work items from the queue and scores them until stopped. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { queue, reranker, model, workerId, metrics } = options;
  const labels = { model, worker: workerId };
  const handle = async (item: WorkItem): Promise<WorkResult> => {
    const stopTimer = metrics.itemSeconds.startTimer(labels);
    const result = await scoreWorkItem(reranker, item, workerId);
    stopTimer();
    metrics.itemsTotal.inc({ ...labels, outcome: result.ok ? 'ok' : 'error' });
    if (result.ok) {
      metrics.pairsTotal.inc(labels, result.scores.length);
      metrics.promptTokensTotal.inc(labels, result.scores.reduce((sum, s) => sum + s.tokens, 0));
    }
    return result;
  };
  const consumer: WorkConsumer = queue.consume(model, workerId, handle, options.consume);
  const withdraw = await queue.announce(
    { workerId, model, maxModelLen: reranker.maxModelLen, startedAt: Math.floor(Date.now() / 1000) },
    options.heartbeatTtlMs,
  );
  return {
    async stop() {
      await consumer.stop();
      await withdraw();
    },
  };
}
