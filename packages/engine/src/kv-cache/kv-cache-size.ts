/** The shape of one rank's KV cache, from the model config and the rank's share of the heads. */
export interface KVCacheShape {
  numLayers: number;
  /** KV heads held by this rank (all of them at TP=1). */
  numKVHeads: number;
  headDim: number;
  /** Tokens per block. */
  blockSize: number;
  /** Bytes per element of the KV tensors (2 for fp16/bf16, 4 for fp32). */
  dtypeBytes: number;
}

/** Bytes one block takes across all layers: K and V, each layers × heads × headDim × tokens. */
export function kvCacheBytesPerBlock(shape: KVCacheShape): number {
  for (const [name, value] of Object.entries(shape)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return 2 * shape.numLayers * shape.numKVHeads * shape.headDim * shape.blockSize * shape.dtypeBytes;
}

/** How many whole blocks fit in a byte budget (`--kv-cache-memory`). */
export function numBlocksForMemory(memoryBytes: number, shape: KVCacheShape): number {
  if (!Number.isFinite(memoryBytes) || memoryBytes < 0) throw new RangeError(`memory must be a non-negative number of bytes, got ${memoryBytes}`);
  return Math.floor(memoryBytes / kvCacheBytesPerBlock(shape));
}
