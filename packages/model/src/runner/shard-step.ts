/** One sequence of a batch as every rank runs it. */
export interface ShardSequence {
  tokenIds: readonly number[];
  startPosition: number;
}

/** A prefix group as every rank runs it (see PrefixGroup in the engine). */
export interface ShardPrefixGroup {
  blockIds: readonly number[];
  prefixLength: number;
  numCachedTokens: number;
  newPrefixTokenIds: readonly number[];
  pairs: readonly ShardSequence[];
}

/**
 * What the leader of a tensor-parallel group sends each rank for one engine step: the token ids,
 * the block tables and what to compute: the part of a SchedulerOutput execution needs (a
 * SchedulerOutput is one). Pair ids, request ids and counters stay with the leader.
 */
export interface ShardStep {
  stepId: number;
  blockSize: number;
  prefixGroups: readonly ShardPrefixGroup[];
  unsharedBatches: readonly (readonly ShardSequence[])[];
}

/** The step's sequences in the order a shard returns their logits. */
export function stepSequences<T extends ShardSequence>(step: { prefixGroups: readonly { pairs: readonly T[] }[]; unsharedBatches: readonly (readonly T[])[] }): T[] {
  return [...step.prefixGroups.flatMap((group) => group.pairs), ...step.unsharedBatches.flat()];
}
