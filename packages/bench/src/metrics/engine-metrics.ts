import { parsePrometheusText } from './prometheus-text';

/** Counters of a server's /metrics that a benchmark reads before and after its load. */
export const ENGINE_COUNTERS = {
  /** Prompt tokens looked up in the prefix cache. */
  prefixQueries: 'rerankd_prefix_cache_queries_total',
  /** Of those, tokens found in the cache (not computed again). */
  prefixHits: 'rerankd_prefix_cache_hits_total',
  /** Tokens added to bring the pairs of a batch to its longest pair's length. */
  paddingTokens: 'rerankd_padding_tokens_total',
  /** Real (not padding) tokens the model computed. */
  computedTokens: 'rerankd_computed_tokens_total',
  /** Tokens the workers read, which the server also returns as usage.prompt_tokens. */
  workerPromptTokens: 'rerankd_worker_prompt_tokens_total',
  /** Engine steps and their total time, for the mean step time of the run. */
  stepSeconds: 'rerankd_engine_step_duration_seconds_sum',
  steps: 'rerankd_engine_step_duration_seconds_count',
} as const;

export type EngineCounter = keyof typeof ENGINE_COUNTERS;

/** One scrape of the counters above; a counter the server does not expose is absent. */
export type CounterSnapshot = Partial<Record<EngineCounter, number>>;

export function readCounters(prometheusText: string): CounterSnapshot {
  const totals = parsePrometheusText(prometheusText);
  const snapshot: CounterSnapshot = {};
  for (const [key, name] of Object.entries(ENGINE_COUNTERS) as [EngineCounter, string][]) {
    const value = totals.get(name);
    if (value !== undefined) snapshot[key] = value;
  }
  return snapshot;
}

/** What the server's counters say about the interval between two scrapes; null where unknown. */
export interface CounterDeltas {
  /** Prompt tokens served from the prefix cache over those looked up. */
  prefixHitRate: number | null;
  /** Prefix-cache hits in tokens (work saved). */
  prefixHitTokens: number | null;
  /** Padding tokens over all tokens the model ran (padding included). */
  paddingFraction: number | null;
  /** Tokens the workers read, for dialects whose answers carry no usage. */
  workerPromptTokens: number | null;
  /** Tokens the model computed: new prefix tokens and pair tokens, neither cached prefixes nor padding. */
  computedTokens: number | null;
  /** Mean wall time of an engine step (seconds). */
  meanStepSeconds: number | null;
}

function ratio(numerator: number | null, denominator: number | null): number | null {
  return numerator !== null && denominator !== null && denominator > 0 ? numerator / denominator : null;
}

export function counterDeltas(before: CounterSnapshot | null, after: CounterSnapshot | null): CounterDeltas {
  const delta = (key: EngineCounter): number | null => {
    const a = after?.[key];
    const b = before?.[key];
    return a === undefined || b === undefined ? null : a - b;
  };
  const queries = delta('prefixQueries');
  const hits = delta('prefixHits');
  const padding = delta('paddingTokens');
  const computed = delta('computedTokens');
  return {
    prefixHitRate: queries !== null && hits !== null && queries > 0 ? hits / queries : null,
    prefixHitTokens: hits,
    paddingFraction: padding !== null && computed !== null && padding + computed > 0 ? padding / (padding + computed) : null,
    workerPromptTokens: delta('workerPromptTokens'),
    computedTokens: computed,
    meanStepSeconds: ratio(delta('stepSeconds'), delta('steps')),
  };
}

/** The process's resident memory from a /metrics text, when the server exports it. */
export function readResidentBytes(prometheusText: string): number | undefined {
  return parsePrometheusText(prometheusText).get('rerankd_process_resident_memory_bytes');
}
