import type { FinishedRequest, ModelExecutor, ScheduledPair, Scheduler, SchedulerOutput } from '../src';

/** Deterministic stand-in logits: where the pair ends and its last token. */
export function fakeLogits(pair: ScheduledPair): number[] {
  return [pair.startPosition + pair.tokenIds.length, pair.tokenIds.at(-1) as number];
}

/** Records every plan it is given and answers with fakeLogits, or fails when told to. */
export class FakeExecutor implements ModelExecutor {
  readonly plans: SchedulerOutput[] = [];
  /** Errors to throw, one per upcoming call. */
  readonly failures: Error[] = [];
  /** Pair ids to leave out of the answer. */
  readonly omittedPairIds = new Set<string>();

  async execute(plan: SchedulerOutput): Promise<Map<string, number[]>> {
    this.plans.push(plan);
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    const logits = new Map<string, number[]>();
    for (const pair of pairsOf(plan)) {
      if (!this.omittedPairIds.has(pair.pairId)) logits.set(pair.pairId, fakeLogits(pair));
    }
    return logits;
  }
}

/** Every pair a plan runs, in plan order. */
export function pairsOf(plan: SchedulerOutput): ScheduledPair[] {
  return [...plan.prefixGroups.flatMap((group) => group.pairs), ...plan.unsharedBatches.flat()];
}

/** One scheduler step with fakeLogits standing in for the model. */
export function scoreStep(scheduler: Scheduler): { plan: SchedulerOutput; finished: FinishedRequest[] } {
  const plan = scheduler.schedule();
  const logits = new Map(pairsOf(plan).map((pair) => [pair.pairId, fakeLogits(pair)]));
  return { plan, finished: scheduler.updateFromOutput(plan, logits) };
}
