export {
  runBench,
  naiveLoadOptions,
  type BenchOptions,
  type BenchResult,
  type BenchServer,
  type StartServer,
  type StartServerOptions,
  type UrlTarget,
  type InProcessTarget,
} from './run-bench';
export { summarizeRun, type RunSummary } from './summary';
export { WORKLOAD_NAMES, WORKLOAD_DEFAULTS, isWorkloadName, resolveWorkload, planWorkload } from './workloads/workload';
export type { WorkloadName, WorkloadOptions, WorkloadPlan, PlannedRequest } from './workloads/workload';
export { runWorkload, type WorkloadRun, type RequestRecord, type RequestRole } from './workloads/run-workload';
export { RerankClient, type RerankClientOptions, type PreparedRequest, type CallOutcome } from './client/rerank-client';
export { DIALECTS, DIALECT_SPECS, isDialect, type Dialect, type DialectSpec, type ParsedAnswer } from './client/dialects';
export { TextGenerator, DEFAULT_TOKENS_PER_WORD, type TextGeneratorOptions } from './text/text-generator';
export { calibrateTokensPerWord } from './calibrate';
export { percentile, summarizeLatencies, round, type LatencySummary } from './stats';
export { parsePrometheusText } from './metrics/prometheus-text';
export { ENGINE_COUNTERS, readCounters, counterDeltas, type CounterSnapshot, type CounterDeltas, type EngineCounter } from './metrics/engine-metrics';
export { nonEmbeddingParameters } from './model/parameters';
export { resolveBenchModel, type BenchModel } from './model/bench-model';
export { SeededStream } from './random';
