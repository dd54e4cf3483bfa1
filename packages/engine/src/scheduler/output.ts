/** One pair to run in a step. */
export interface ScheduledPair {
  requestId: string;
  pairId: string;
  /** Tokens to run: what follows the shared prefix, or the whole pair when nothing is shared. */
  tokenIds: readonly number[];
  tokenTypeIds?: readonly number[];
  /** Position of tokenIds[0]; the rest follow one by one. The last position is the one scored. */
  startPosition: number;
}

/**
 * One batch of a request's pairs that attend to the request's shared prefix. The runner first
 * computes the prefix tokens in `newPrefixTokenIds` (if any) into their blocks, then runs all
 * `pairs` as one batch continuing from the prefix.
 */
export interface PrefixGroup {
  requestId: string;
  /** Blocks holding the prefix KV in position order: block i holds positions [i·blockSize, (i+1)·blockSize). */
  blockIds: readonly number[];
  /** Tokens in the shared prefix (the last block may hold fewer than blockSize); every pair of the group starts here. */
  prefixLength: number;
  /** Leading prefix tokens whose KV is in the blocks before this group runs. */
  numCachedTokens: number;
  /**
   * Prefix tokens at positions [numCachedTokens, prefixLength) whose KV this group computes into
   * blockIds[numCachedTokens / blockSize ..], attending to the cached ones. Empty when the whole
   * prefix is cached.
   */
  newPrefixTokenIds: readonly number[];
  /** Shortest first. */
  pairs: readonly ScheduledPair[];
}

/**
 * What one step runs, in order. Groups must run in the order given: a group's cached prefix
 * tokens may be ones an earlier group of the same step computes (two work items of one query).
 */
export interface SchedulerOutput {
  stepId: number;
  blockSize: number;
  prefixGroups: readonly PrefixGroup[];
  /** Pairs with no shared prefix (encoder models), cut by length into batches, shortest first. */
  unsharedBatches: readonly (readonly ScheduledPair[])[];
  numScheduledPairs: number;
  /** Tokens to compute: new prefix tokens plus every scheduled pair's tokens. */
  numScheduledTokens: number;
  /** Of those, new prefix tokens. */
  numPrefixTokens: number;
  /** Tokens added to bring each batch's pairs to its longest pair's length. */
  numPaddingTokens: number;
  /** numPaddingTokens over the padded size of all batches (0 for an empty step). */
  paddingFraction: number;
  /** Requests dropped at this step because their deadline passed. */
  expiredRequestIds: readonly string[];
}

/** How a request left the engine. */
export type FinishedRequest =
  | { requestId: string; status: 'scored'; pairLogits: ReadonlyMap<string, readonly number[]> }
  | { requestId: string; status: 'expired' }
  | { requestId: string; status: 'aborted' }
  | { requestId: string; status: 'failed'; error: Error };
