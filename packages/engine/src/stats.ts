/** What the last step ran. */
export interface StepStats {
  numPairs: number;
  /** Tokens computed, new prefix tokens included. */
  numTokens: number;
  numPrefixTokens: number;
  numPaddingTokens: number;
  paddingFraction: number;
  numBatches: number;
}

/** A snapshot of the engine after a step, for logs and metrics. */
export interface EngineStats {
  numSteps: number;
  numWaitingRequests: number;
  numRunningRequests: number;
  /** Fraction of KV blocks in use. */
  kvCacheUsage: number;
  /** Cumulative prefix-cache lookups and hits, in tokens. */
  prefixCacheQueriedTokens: number;
  prefixCacheHitTokens: number;
  lastStep: StepStats;
}
