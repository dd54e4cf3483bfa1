import type { SchedulerOutput } from './scheduler/output';

export type BatchListener = (logits: ReadonlyMap<string, readonly number[]>) => void;

/** Runs what the scheduler decided: the model runner, on one device or across tensor-parallel ranks. */
export interface ModelExecutor {
  /**
   * Runs the step and returns the logits of every scheduled pair, keyed by pair id. `onBatch`, if
   * given, gets the logits of each batch but the last as soon as it is computed, so that a request
   * whose pairs ran in an early batch of the step can leave before the step ends.
   */
  execute(plan: SchedulerOutput, onBatch?: BatchListener): Promise<Map<string, number[]>>;
}
