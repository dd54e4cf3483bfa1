import type { SchedulerOutput } from './scheduler/output';

/** Runs what the scheduler decided: the model runner, on one device or across tensor-parallel ranks. */
export interface ModelExecutor {
  /** Runs the step and returns the logits of every scheduled pair, keyed by pair id. */
  execute(plan: SchedulerOutput): Promise<Map<string, number[]>>;
}
