/**
 * The engine decides what runs: requests, the continuous-batching scheduler, KV-cache
 * bookkeeping (block ids, hashes, ref counts; never tensors) and the step loop. The model
 * package executes its plans.
 */
export { KVCacheBlock } from './kv-cache/block';
export { FreeBlockQueue } from './kv-cache/free-block-queue';
export { hashBlockTokens, hashFullBlocks, rootBlockHash, type BlockHash } from './kv-cache/block-hash';
export { BlockPool } from './kv-cache/block-pool';
export {
  KVCacheManager,
  type KVCacheManagerOptions,
  type KVCacheRequest,
  type PrefixCacheStats,
} from './kv-cache/kv-cache-manager';
export { kvCacheBytesPerBlock, numBlocksForMemory, type KVCacheShape } from './kv-cache/kv-cache-size';
export type { RequestInput, TokenizedPair } from './request';
export { Scheduler, type SchedulerOptions } from './scheduler/scheduler';
export type { FinishedRequest, PrefixGroup, ScheduledPair, SchedulerOutput } from './scheduler/output';
export type { EngineStats, StepStats } from './stats';
export type { BatchListener, ModelExecutor } from './model-executor';
export { EngineCore, type EngineCoreOptions, type EngineStepResult, type StepListener } from './engine-core';
export { MissingLogitsError } from './errors';
