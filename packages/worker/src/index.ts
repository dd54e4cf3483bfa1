export { startWorker } from './worker';
export type { RunningWorker, WorkerOptions } from './worker';
export { scoreWorkItem } from './score-item';
export { createWorkerMetrics } from './metrics';
export type { WorkerMetrics } from './metrics';
