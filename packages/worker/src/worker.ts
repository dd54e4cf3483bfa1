import type { LoadedReranker, Reranker } from '@rerankd/model';
import type { ConsumeOptions, WorkConsumer, WorkQueue } from '@rerankd/queue';
import type { WorkItem, WorkResult } from '@rerankd/protocol';
import type { WorkerMetrics } from './metrics';
import { scoreWorkItem } from './score-item';

/** A reranker whose engine the worker reports on: a LoadedReranker, or anything with its stats and steps. */
export type WorkerReranker = Reranker & Pick<LoadedReranker, 'stats' | 'onStep'> & Partial<Pick<LoadedReranker, 'execution'>>;

export interface WorkerOptions {
  queue: WorkQueue;
  reranker: WorkerReranker;
  /** The name clients use for the model (--served-model-name, or the --model string). */
  model: string;
  workerId: string;
  metrics: WorkerMetrics;
  consume?: ConsumeOptions;
  heartbeatTtlMs?: number;
  /** Epoch milliseconds, for queue wait (default Date.now). */
  now?: () => number;
}

export interface RunningWorker {
  /** Stops taking work, finishes what it holds, and withdraws its announcement. */
  stop(): Promise<void>;
}

/** Takes the model's work items from the queue and scores them until stopped. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { queue, reranker, model, workerId, metrics } = options;
  const now = options.now ?? Date.now;
  const labels = { model, worker: workerId };
  const handle = async (item: WorkItem, cancelled: AbortSignal): Promise<WorkResult> => {
    // Clocks of the gateway and the worker may differ a little: a negative wait is counted as none.
    if (item.submittedAt !== undefined) metrics.queueWaitSeconds.observe(labels, Math.max(0, now() - item.submittedAt) / 1000);
    const stopTimer = metrics.itemSeconds.startTimer(labels);
    let result: WorkResult;
    try {
      result = await scoreWorkItem(reranker, item, workerId, cancelled);
    } catch (error) {
      // Untyped failures go back to the queue, which delivers the item again.
      stopTimer();
      metrics.itemsTotal.inc({ ...labels, outcome: 'error' });
      metrics.errorsTotal.inc({ ...labels, kind: 'internal' });
      throw error;
    }
    stopTimer();
    if (cancelled.aborted) {
      metrics.itemsTotal.inc({ ...labels, outcome: 'cancelled' });
    } else if (result.ok) {
      metrics.itemsTotal.inc({ ...labels, outcome: 'ok' });
      metrics.pairsTotal.inc(labels, result.scores.length);
      metrics.promptTokensTotal.inc(labels, result.scores.reduce((sum, s) => sum + s.tokens, 0));
    } else {
      metrics.itemsTotal.inc({ ...labels, outcome: result.error.kind === 'timeout' ? 'expired' : 'error' });
      metrics.errorsTotal.inc({ ...labels, kind: result.error.kind });
    }
    return result;
  };
  // Series exist from the start, so that rate() sees their first increase.
  metrics.itemsTotal.inc({ ...labels, outcome: 'ok' }, 0);
  metrics.pairsTotal.inc(labels, 0);
  metrics.promptTokensTotal.inc(labels, 0);
  const infoLabels = { ...labels, device: reranker.execution?.device ?? 'unknown', dtype: reranker.execution?.dtype ?? 'unknown' };
  metrics.workerInfo.set(infoLabels, 1);
  const releaseEngine = metrics.observeEngine(reranker, labels);
  const unobserve = () => {
    releaseEngine();
    metrics.workerInfo.remove(infoLabels);
  };
  const consumer: WorkConsumer = queue.consume(model, workerId, handle, options.consume);
  let withdraw: () => Promise<void>;
  try {
    withdraw = await queue.announce(
      { workerId, model, maxModelLen: reranker.maxModelLen, startedAt: Math.floor(Date.now() / 1000) },
      options.heartbeatTtlMs,
    );
  } catch (error) {
    await consumer.stop();
    unobserve();
    throw error;
  }
  return {
    async stop() {
      await consumer.stop();
      await withdraw();
      unobserve();
    },
  };
}
