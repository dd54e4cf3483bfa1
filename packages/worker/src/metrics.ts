import { Counter, Gauge, Histogram, Registry, exponentialBuckets } from 'prom-client';
import type { LoadedReranker } from '@rerankd/model';

/** What the worker metrics read from an engine: its stats (at scrape time) and its steps (as they end). */
export type ObservableEngine = Pick<LoadedReranker, 'stats' | 'onStep'>;

/** Every worker series carries the served model name and the worker id. */
export interface WorkerLabelValues {
  model: string;
  worker: string;
}
type WorkerLabel = keyof WorkerLabelValues;

/**
 * What one worker process reports, in the style of vLLM's metrics: work items, the engine's
 * scheduler state, KV cache and prefix cache, and every engine step's size, padding and time.
 */
export interface WorkerMetrics {
  registry: Registry;
  itemsTotal: Counter<WorkerLabel | 'outcome'>;
  pairsTotal: Counter<WorkerLabel>;
  promptTokensTotal: Counter<WorkerLabel>;
  itemSeconds: Histogram<WorkerLabel>;
  queueWaitSeconds: Histogram<WorkerLabel>;
  errorsTotal: Counter<WorkerLabel | 'kind'>;
  stepSeconds: Histogram<WorkerLabel>;
  stepPairs: Histogram<WorkerLabel>;
  stepTokens: Histogram<WorkerLabel>;
  stepPaddingRatio: Histogram<WorkerLabel>;
  computedTokensTotal: Counter<WorkerLabel>;
  paddingTokensTotal: Counter<WorkerLabel>;
  workerInfo: Gauge<WorkerLabel | 'device' | 'dtype'>;
  /**
   * Reports `engine`'s steps and stats under `labels` until the returned function is called.
   * An engine serving several model names is reported once, under the first name observed.
   */
  observeEngine(engine: ObservableEngine, labels: WorkerLabelValues): () => void;
}

/** Seconds, from sub-millisecond GPU work to minutes of CPU work or waiting. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
];
/** One engine step: 100 µs (a small GPU batch) to a minute (a full token budget on a slow CPU). */
export const STEP_SECONDS_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
/** Pairs in one step: 1 to 1,024 (the default --max-num-pairs is 64). */
export const STEP_PAIRS_BUCKETS = exponentialBuckets(1, 2, 11);
/** Tokens in one step: 16 to 65,536 (the default --max-num-batched-tokens is 4,096). */
export const STEP_TOKENS_BUCKETS = exponentialBuckets(16, 2, 13);
export const PADDING_RATIO_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1];

interface ObservedEngine {
  labels: WorkerLabelValues;
  /** Workers (served names) that share this engine; it is dropped when the last one leaves. */
  users: number;
  unsubscribe: () => void;
  /** The cumulative prefix-cache counters as of the last scrape, to turn them into increments. */
  countedQueries: number;
  countedHits: number;
}

export function createWorkerMetrics(registry = new Registry()): WorkerMetrics {
  const registers = [registry];
  const labelNames: WorkerLabel[] = ['model', 'worker'];
  const engines = new Map<ObservableEngine, ObservedEngine>();
  /** A gauge of every observed engine's current stats, read when Prometheus scrapes. */
  const statsGauge = ({ name, help }: { name: string; help: string }, read: (engine: ObservableEngine) => number) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const [engine, { labels }] of engines) this.set(labels, read(engine));
      },
    });
  /** A counter that follows one of the engine's cumulative counters. */
  const cumulativeCounter = ({ name, help }: { name: string; help: string }, read: (engine: ObservableEngine) => number, counted: 'countedQueries' | 'countedHits') =>
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        for (const [engine, observed] of engines) {
          const now = read(engine);
          if (now > observed[counted]) this.inc(observed.labels, now - observed[counted]);
          observed[counted] = Math.max(observed[counted], now);
        }
      },
    });

  statsGauge({ name: 'rerankd_num_requests_running', help: 'Engine requests (one per query prefix of a work item) admitted to steps, with pairs still to score.' }, (e) => e.stats.numRunningRequests);
  statsGauge({ name: 'rerankd_num_requests_waiting', help: 'Engine requests not yet admitted (waiting for step budget or KV-cache room).' }, (e) => e.stats.numWaitingRequests);
  statsGauge({ name: 'rerankd_kv_cache_usage_ratio', help: 'Fraction of KV-cache blocks in use (0 to 1).' }, (e) => e.stats.kvCacheUsage);
  const prefixQueries = cumulativeCounter(
    { name: 'rerankd_prefix_cache_queries_total', help: 'Prefix tokens looked up in the prefix cache (full blocks of each engine request).' },
    (e) => e.stats.prefixCacheQueriedTokens,
    'countedQueries',
  );
  const prefixHits = cumulativeCounter({ name: 'rerankd_prefix_cache_hits_total', help: 'Prefix tokens found in the prefix cache.' }, (e) => e.stats.prefixCacheHitTokens, 'countedHits');

  const metrics: Omit<WorkerMetrics, 'observeEngine'> = {
    registry,
    itemsTotal: new Counter({ name: 'rerankd_worker_items_total', help: 'Work items handled, by outcome (ok, error, expired, cancelled).', labelNames: ['model', 'worker', 'outcome'], registers }),
    pairsTotal: new Counter({ name: 'rerankd_worker_pairs_total', help: 'Query-document pairs scored.', labelNames, registers }),
    promptTokensTotal: new Counter({ name: 'rerankd_worker_prompt_tokens_total', help: 'Tokens of the pairs scored (prompt and shared prefix included, after truncation).', labelNames, registers }),
    itemSeconds: new Histogram({ name: 'rerankd_worker_item_duration_seconds', help: 'Time to score one work item, from pick-up to result.', labelNames, buckets: LATENCY_BUCKETS, registers }),
    queueWaitSeconds: new Histogram({
      name: 'rerankd_queue_wait_seconds',
      help: "Time from a work item's submission by the gateway to a worker picking it up.",
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    errorsTotal: new Counter({ name: 'rerankd_worker_errors_total', help: 'Work items that failed, by error kind (invalid_request, timeout, internal, ...).', labelNames: ['model', 'worker', 'kind'], registers }),
    stepSeconds: new Histogram({ name: 'rerankd_engine_step_duration_seconds', help: 'Wall time of one engine step: scheduling, model run and update.', labelNames, buckets: STEP_SECONDS_BUCKETS, registers }),
    stepPairs: new Histogram({ name: 'rerankd_step_pairs', help: 'Pairs scored in one engine step (the batch size).', labelNames, buckets: STEP_PAIRS_BUCKETS, registers }),
    stepTokens: new Histogram({ name: 'rerankd_step_tokens', help: 'Tokens computed in one engine step, new prefix tokens included, padding excluded.', labelNames, buckets: STEP_TOKENS_BUCKETS, registers }),
    stepPaddingRatio: new Histogram({ name: 'rerankd_step_padding_ratio', help: "Padding tokens over the padded size of one step's batches.", labelNames, buckets: PADDING_RATIO_BUCKETS, registers }),
    computedTokensTotal: new Counter({ name: 'rerankd_computed_tokens_total', help: 'Tokens the model computed (new prefix tokens and pair tokens; cached prefixes and padding excluded).', labelNames, registers }),
    paddingTokensTotal: new Counter({ name: 'rerankd_padding_tokens_total', help: 'Padding tokens the model ran to bring the pairs of a batch to one length.', labelNames, registers }),
    workerInfo: new Gauge({ name: 'rerankd_worker_info', help: 'Always 1: a worker serving a model, with the device and dtype it runs on.', labelNames: ['model', 'worker', 'device', 'dtype'], registers }),
  };

  const observeEngine = (engine: ObservableEngine, labels: WorkerLabelValues): (() => void) => {
    let observed = engines.get(engine);
    if (observed) {
      observed.users += 1;
    } else {
      const stats = engine.stats;
      // Series exist from the start, so that rate() sees their first increase.
      for (const counter of [metrics.computedTokensTotal, metrics.paddingTokensTotal, prefixQueries, prefixHits]) counter.inc(labels, 0);
      observed = {
        labels,
        users: 1,
        unsubscribe: engine.onStep(({ stats: { lastStep }, seconds }) => {
          metrics.stepSeconds.observe(labels, seconds);
          metrics.stepPairs.observe(labels, lastStep.numPairs);
          metrics.stepTokens.observe(labels, lastStep.numTokens);
          metrics.stepPaddingRatio.observe(labels, lastStep.paddingFraction);
          metrics.computedTokensTotal.inc(labels, lastStep.numTokens);
          metrics.paddingTokensTotal.inc(labels, lastStep.numPaddingTokens);
        }),
        // What the engine counted before it was observed is not reported.
        countedQueries: stats.prefixCacheQueriedTokens,
        countedHits: stats.prefixCacheHitTokens,
      };
      engines.set(engine, observed);
    }
    const entry = observed;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      entry.users -= 1;
      if (entry.users > 0) return;
      entry.unsubscribe();
      engines.delete(engine);
    };
  };

  return { ...metrics, observeEngine };
}
