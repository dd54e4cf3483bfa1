export { startWorker } from './worker';
export type { RunningWorker, WorkerOptions, WorkerReranker } from './worker';
export { scoreWorkItem } from './score-item';
export { createWorkerMetrics } from './metrics';
export type { ObservableEngine, WorkerLabelValues, WorkerMetrics } from './metrics';
