import { Counter, Histogram, Registry } from 'prom-client';

/** What one worker reports about the work it did (the full set grows with the engine). */
export interface WorkerMetrics {
  registry: Registry;
  itemsTotal: Counter<'model' | 'worker' | 'outcome'>;
  pairsTotal: Counter<'model' | 'worker'>;
  promptTokensTotal: Counter<'model' | 'worker'>;
  itemSeconds: Histogram<'model' | 'worker'>;
}

export function createWorkerMetrics(registry = new Registry()): WorkerMetrics {
  return {
    registry,
    itemsTotal: new Counter({ name: 'rerankd_worker_items_total', help: 'Work items handled, by outcome (ok, error, expired).', labelNames: ['model', 'worker', 'outcome'], registers: [registry] }),
    pairsTotal: new Counter({ name: 'rerankd_worker_pairs_total', help: 'Query-document pairs scored.', labelNames: ['model', 'worker'], registers: [registry] }),
    promptTokensTotal: new Counter({ name: 'rerankd_worker_prompt_tokens_total', help: 'Tokens read by the model.', labelNames: ['model', 'worker'], registers: [registry] }),
    itemSeconds: new Histogram({
      name: 'rerankd_worker_item_duration_seconds',
      help: 'Time to score one work item.',
      labelNames: ['model', 'worker'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
  };
}
