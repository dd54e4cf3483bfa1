import type { BlockHash } from './block-hash';

/**
 * One fixed-size slot of KV memory, known here only by its id: the model runner holds the
 * tensors behind it.
 */
export class KVCacheBlock {
  /** Requests using the block; a block nobody uses sits in the free queue. */
  refCount = 0;
  /** Set while the block is in the prefix cache (full blocks only). */
  blockHash: BlockHash | null = null;
  /** Free-queue links live on the block itself so it can leave the middle of the queue in O(1). */
  prevFree: KVCacheBlock | null = null;
  nextFree: KVCacheBlock | null = null;

  constructor(readonly blockId: number) {}
}
