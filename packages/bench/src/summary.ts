import { counterDeltas } from './metrics/engine-metrics';
import { round, summarizeLatencies } from './stats';
import type { RequestRecord, WorkloadRun } from './workloads/run-workload';
import type { WorkloadName } from './workloads/workload';

/** The numbers of one workload run against one server. */
export interface RunSummary {
  /** Requests of the load phase (w3: big and interactive ones). */
  requests: number;
  /** Requests that failed, in any phase. */
  errors: number;
  /** Wall time of the load phase. */
  seconds: number;
  /** Query-document pairs scored in the load phase. */
  pairs: number;
  pairs_per_s: number;
  /** From the answers' usage.prompt_tokens (or the workers' counter for dialects without usage). */
  prompt_tokens: number | null;
  tokens_per_s: number | null;
  /** Request latency (w3: of the big requests). */
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
  /** w3: latency of the interactive requests under load, and on the idle server before it. */
  interactive_p50_ms?: number | null;
  interactive_p99_ms?: number | null;
  interactive_idle_p99_ms?: number | null;
  /** From /metrics deltas, null where the server has no such counters. */
  prefix_hit_rate: number | null;
  /** Mean engine step time during the load: the unit interactive latency is judged in (w3). */
  engine_step_mean_ms: number | null;
  padding_fraction: number | null;
  /** Tokens the model had to compute: each query's prefix once, no padding (see useful_gflops). */
  computed_tokens: number | null;
  /**
   * Tokens that had to be computed × 2 × non-embedding parameters per second: the server's count
   * of computed tokens (each query's prefix once, no padding), else prompt tokens − prefix-cache hits.
   */
  useful_gflops: number | null;
  /** The server's resident memory (MiB) at the start, the peak and the end of the load phase. */
  rss_start_mib: number | null;
  rss_max_mib: number | null;
  rss_end_mib: number | null;
}

export function summarizeRun(run: WorkloadRun, workload: WorkloadName, parameters: number | null): RunSummary {
  const measured = run.records.filter((r) => r.role !== 'idle');
  const ok = measured.filter((r) => r.ok);
  const latencies = (role: RequestRecord['role']) => run.records.filter((r) => r.ok && r.role === role).map((r) => r.latencyMs);
  const pairs = ok.reduce((sum, r) => sum + r.pairs, 0);
  const deltas = counterDeltas(run.countersBefore, run.countersAfter);
  const fromUsage = ok.length > 0 && ok.every((r) => r.promptTokens !== null);
  const promptTokens = fromUsage ? ok.reduce((sum, r) => sum + (r.promptTokens ?? 0), 0) : deltas.workerPromptTokens;
  const seconds = run.seconds;
  const load = summarizeLatencies(latencies('load'));
  const interactive = summarizeLatencies(latencies('interactive'));
  const usefulTokens = deltas.computedTokens ?? (promptTokens === null ? null : promptTokens - (deltas.prefixHitTokens ?? 0));
  return {
    requests: measured.length,
    errors: run.records.filter((r) => !r.ok).length,
    seconds: round(seconds, 3),
    pairs,
    pairs_per_s: round(pairs / seconds, 2),
    prompt_tokens: promptTokens,
    tokens_per_s: promptTokens === null ? null : round(promptTokens / seconds, 1),
    p50_ms: load.p50,
    p90_ms: load.p90,
    p99_ms: load.p99,
    ...(workload === 'w3'
      ? {
          interactive_p50_ms: interactive.p50,
          interactive_p99_ms: interactive.p99,
          interactive_idle_p99_ms: summarizeLatencies(latencies('idle')).p99,
        }
      : {}),
    prefix_hit_rate: deltas.prefixHitRate === null ? null : round(deltas.prefixHitRate, 4),
    engine_step_mean_ms: deltas.meanStepSeconds === null ? null : round(deltas.meanStepSeconds * 1000, 1),
    padding_fraction: deltas.paddingFraction === null ? null : round(deltas.paddingFraction, 4),
    computed_tokens: usefulTokens,
    useful_gflops: parameters === null || usefulTokens === null ? null : round((usefulTokens * 2 * parameters) / seconds / 1e9, 3),
    ...residentMemory(run.residentBytes),
  };
}

function residentMemory(samples: number[]): Pick<RunSummary, 'rss_start_mib' | 'rss_max_mib' | 'rss_end_mib'> {
  const mib = (bytes: number | undefined) => (bytes === undefined ? null : round(bytes / 2 ** 20, 1));
  return { rss_start_mib: mib(samples[0]), rss_max_mib: mib(samples.length > 0 ? Math.max(...samples) : undefined), rss_end_mib: mib(samples.at(-1)) };
}

/** The first failure of a run, to say why its numbers are not to be trusted. */
export function firstError(run: WorkloadRun): string | undefined {
  return run.records.find((r) => !r.ok)?.error;
}
