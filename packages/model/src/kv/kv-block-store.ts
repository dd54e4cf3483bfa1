/** Shape of the KV cache of one model: per layer, per KV head, blocks of `blockSize` tokens. */
export interface KvCacheShape {
  numLayers: number;
  numKvHeads: number;
  headDim: number;
  blockSize: number;
  numBlocks: number;
}

/** The first `length` tokens held by `blockIds` (the last block may be partly filled): a past. */
export interface CachedTokens {
  blockIds: readonly number[];
  length: number;
}

export const NO_PAST: CachedTokens = { blockIds: [], length: 0 };

/** Where a prefix group's KV lies: its whole prefix, the part cached before it runs, and the blocks its new tokens fill. */
export interface PrefixBlocks {
  whole: CachedTokens;
  cached: CachedTokens;
  newBlockIds: readonly number[];
}

export function prefixBlocks(group: { blockIds: readonly number[]; numCachedTokens: number; prefixLength: number }, blockSize: number): PrefixBlocks {
  // Only full blocks are ever found in the cache, so the cached tokens end on a block boundary.
  const cachedBlocks = group.numCachedTokens / blockSize;
  return {
    whole: { blockIds: group.blockIds, length: group.prefixLength },
    cached: { blockIds: group.blockIds.slice(0, cachedBlocks), length: group.numCachedTokens },
    newBlockIds: group.blockIds.slice(cachedBlocks),
  };
}

/**
 * The key and value tensors behind the engine's block ids. Each layer keeps one array per kind
 * laid out [block, kvHead, token, dim], so a block's rows for one head are contiguous and
 * gathering a prefix is one copy per (block, head).
 */
export class KvBlockStore {
  private readonly keys: Float32Array[];
  private readonly values: Float32Array[];
  private readonly headStride: number;
  private readonly blockStride: number;

  constructor(readonly shape: KvCacheShape) {
    this.headStride = shape.blockSize * shape.headDim;
    this.blockStride = shape.numKvHeads * this.headStride;
    const size = shape.numBlocks * this.blockStride;
    // Written once now so that the whole pool is resident from the start: the process does not
    // grow while serving as blocks are used for the first time.
    this.keys = Array.from({ length: shape.numLayers }, () => new Float32Array(size).fill(0));
    this.values = Array.from({ length: shape.numLayers }, () => new Float32Array(size).fill(0));
  }

  /**
   * Copies tokens [from, to) of a present tensor [1, kvHeads, presentLength, dim] into the given
   * blocks, `from` at the start of the first; the last block may be left partly filled (a
   * prefix that ends inside a block).
   */
  write(layer: number, blockIds: readonly number[], present: { key: Float32Array; value: Float32Array }, presentLength: number, from: number, to: number): void {
    const { numKvHeads, blockSize, headDim } = this.shape;
    if (to > presentLength) throw new RangeError('present tensor is shorter than the tokens to store');
    if (Math.ceil((to - from) / blockSize) !== blockIds.length) throw new RangeError(`${to - from} tokens do not fill ${blockIds.length} blocks`);
    for (const [kind, pool] of [['key', this.keys[layer]], ['value', this.values[layer]]] as const) {
      const source = present[kind];
      blockIds.forEach((block, b) => {
        const tokens = Math.min(blockSize, to - from - b * blockSize);
        for (let h = 0; h < numKvHeads; h++) {
          const start = (h * presentLength + from + b * blockSize) * headDim;
          (pool as Float32Array).set(source.subarray(start, start + tokens * headDim), block * this.blockStride + h * this.headStride);
        }
      });
    }
  }

  /**
   * The first `length` tokens of the blocks (all of them when absent) as one
   * [1, kvHeads, length, dim] tensor each for keys and values.
   */
  gather(layer: number, blockIds: readonly number[], length = blockIds.length * this.shape.blockSize): { key: Float32Array; value: Float32Array } {
    const { numKvHeads, headDim, blockSize } = this.shape;
    if (Math.ceil(length / blockSize) !== blockIds.length) throw new RangeError(`${length} tokens are not held by ${blockIds.length} blocks`);
    const out = { key: new Float32Array(numKvHeads * length * headDim), value: new Float32Array(numKvHeads * length * headDim) };
    for (const [kind, pool] of [['key', this.keys[layer]], ['value', this.values[layer]]] as const) {
      blockIds.forEach((block, b) => {
        const tokens = Math.min(blockSize, length - b * blockSize);
        for (let h = 0; h < numKvHeads; h++) {
          const start = block * this.blockStride + h * this.headStride;
          out[kind].set((pool as Float32Array).subarray(start, start + tokens * headDim), (h * length + b * blockSize) * headDim);
        }
      });
    }
    return out;
  }
}
