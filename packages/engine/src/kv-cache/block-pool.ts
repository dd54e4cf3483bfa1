import { KVCacheBlock } from './block';
import type { BlockHash } from './block-hash';
import { FreeBlockQueue } from './free-block-queue';

/**
 * A fixed number of KV blocks with their ref counts, the free queue and the prefix cache
 * (hash → block). A free block keeps its hash until it is reallocated, so it can still be hit.
 */
export class BlockPool {
  private readonly blocks: KVCacheBlock[];
  private readonly freeQueue: FreeBlockQueue;
  private readonly cachedBlocks = new Map<BlockHash, KVCacheBlock>();

  constructor(readonly numBlocks: number) {
    if (!Number.isInteger(numBlocks) || numBlocks < 1) throw new RangeError(`numBlocks must be a positive integer, got ${numBlocks}`);
    this.blocks = Array.from({ length: numBlocks }, (_, blockId) => new KVCacheBlock(blockId));
    this.freeQueue = new FreeBlockQueue(this.blocks);
  }

  /** Blocks nobody uses, cached ones included (they are evicted on demand). */
  get numFreeBlocks(): number {
    return this.freeQueue.length;
  }

  /** Fraction of blocks in use. */
  get usage(): number {
    return (this.numBlocks - this.freeQueue.length) / this.numBlocks;
  }

  block(blockId: number): KVCacheBlock {
    const block = this.blocks[blockId];
    if (block === undefined) throw new RangeError(`no block ${blockId}`);
    return block;
  }

  getCachedBlock(blockHash: BlockHash): KVCacheBlock | null {
    return this.cachedBlocks.get(blockHash) ?? null;
  }

  /** Takes `n` blocks from the head of the free queue, evicting their cached content; null when fewer are free. */
  allocate(n: number): KVCacheBlock[] | null {
    if (n > this.freeQueue.length) return null;
    const allocated: KVCacheBlock[] = [];
    for (let i = 0; i < n; i++) {
      const block = this.freeQueue.popLeft() as KVCacheBlock;
      this.uncache(block);
      block.refCount = 1;
      allocated.push(block);
    }
    return allocated;
  }

  /** Adds a user to each block, taking free (cached) ones out of the free queue. */
  touch(blocks: readonly KVCacheBlock[]): void {
    for (const block of blocks) {
      if (block.refCount === 0) this.freeQueue.remove(block);
      block.refCount += 1;
    }
  }

  /** Drops a user from each block; blocks left unused join the free queue in the order given, so the first is evicted first. */
  free(blocks: readonly KVCacheBlock[]): void {
    for (const block of blocks) {
      if (block.refCount < 1) throw new Error(`block ${block.blockId} freed more often than used`);
      block.refCount -= 1;
      if (block.refCount === 0) this.freeQueue.append(block);
    }
  }

  /**
   * Enters a full block into the prefix cache. Returns false, leaving the block uncached, when
   * another block already holds the same hash (the same prefix computed twice); the block is
   * then simply reused like any other once freed.
   */
  cacheBlock(block: KVCacheBlock, blockHash: BlockHash): boolean {
    if (block.blockHash !== null) throw new Error(`block ${block.blockId} is already cached`);
    if (this.cachedBlocks.has(blockHash)) return false;
    block.blockHash = blockHash;
    this.cachedBlocks.set(blockHash, block);
    return true;
  }

  /** Takes a block out of the prefix cache (evicted, or its KV was never written). */
  uncache(block: KVCacheBlock): void {
    if (block.blockHash === null) return;
    this.cachedBlocks.delete(block.blockHash);
    block.blockHash = null;
  }

  /** Free block ids from the next to evict to the most recently freed. */
  freeBlockIds(): number[] {
    return this.freeQueue.blockIds();
  }
}
