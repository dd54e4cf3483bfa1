import type { KVCacheBlock } from './block';
import { hashFullBlocks, rootBlockHash, type BlockHash } from './block-hash';
import { BlockPool } from './block-pool';

/** What the manager needs to know about a request: who it is and the hashes of its full prefix blocks. */
export interface KVCacheRequest {
  readonly requestId: string;
  /** Chained hashes of the request's full blocks, computed once when the request is created. */
  readonly blockHashes: readonly BlockHash[];
}

/** Cumulative prefix-cache counters over each request's first allocation; queries and hits are in tokens. */
export interface PrefixCacheStats {
  numRequests: number;
  numQueriedTokens: number;
  numHitTokens: number;
}

export interface KVCacheManagerOptions {
  numBlocks: number;
  /** Tokens per block. */
  blockSize: number;
  /** Whatever makes the same tokens give different KV (model id, revision); see rootBlockHash. */
  cacheKey: readonly string[];
}

interface RequestBlocks {
  blocks: KVCacheBlock[];
  /** Tokens the blocks hold, or will hold once the step that allocated them has run. */
  numTokens: number;
  /** Leading blocks already entered in (or found in) the prefix cache. */
  numCachedBlocks: number;
}

/**
 * Block bookkeeping per request on top of the block pool: prefix lookups, allocation that
 * either fully succeeds or changes nothing, caching of full blocks, and freeing.
 */
export class KVCacheManager {
  readonly blockSize: number;
  private readonly pool: BlockPool;
  private readonly rootHash: BlockHash;
  private readonly byRequest = new Map<string, RequestBlocks>();
  private readonly stats: PrefixCacheStats = { numRequests: 0, numQueriedTokens: 0, numHitTokens: 0 };

  constructor(options: KVCacheManagerOptions) {
    if (!Number.isInteger(options.blockSize) || options.blockSize < 1) {
      throw new RangeError(`blockSize must be a positive integer, got ${options.blockSize}`);
    }
    this.blockSize = options.blockSize;
    this.pool = new BlockPool(options.numBlocks);
    this.rootHash = rootBlockHash(options.cacheKey);
  }

  get numBlocks(): number {
    return this.pool.numBlocks;
  }

  /** Blocks that hold `numTokens` tokens: the last one may be partly filled. */
  blocksFor(numTokens: number): number {
    return Math.ceil(numTokens / this.blockSize);
  }

  /** Fraction of blocks in use by requests (cached blocks nobody uses count as free). */
  get usage(): number {
    return this.pool.usage;
  }

  get prefixCacheStats(): Readonly<PrefixCacheStats> {
    return { ...this.stats };
  }

  /** Chained hashes of the full blocks of `tokenIds` under this manager's cache key. */
  hashBlocks(tokenIds: readonly number[]): BlockHash[] {
    return hashFullBlocks(this.rootHash, tokenIds, this.blockSize);
  }

  /**
   * The longest run of the request's leading blocks already in the cache. A pure lookup: the
   * blocks are claimed by allocateSlots, so a request that then finds no room leaves the free
   * queue's order untouched.
   */
  getComputedBlocks(request: KVCacheRequest): KVCacheBlock[] {
    const hits: KVCacheBlock[] = [];
    for (const blockHash of request.blockHashes) {
      const block = this.pool.getCachedBlock(blockHash);
      if (block === null) break;
      hits.push(block);
    }
    return hits;
  }

  /**
   * Gives the request room for `numNewTokens` more tokens after `computedBlocks` (the prefix hit
   * of its first allocation). Claims the hit blocks and returns the new blocks, or returns null
   * and changes nothing when the pool is short.
   */
  allocateSlots(request: KVCacheRequest, numNewTokens: number, computedBlocks: readonly KVCacheBlock[] = []): KVCacheBlock[] | null {
    const held = this.byRequest.get(request.requestId);
    if (held !== undefined && computedBlocks.length > 0) {
      throw new Error(`request ${request.requestId} already holds blocks; prefix hits only apply to its first allocation`);
    }
    const numHeldBlocks = held?.blocks.length ?? 0;
    const numTokens = (held?.numTokens ?? 0) + computedBlocks.length * this.blockSize + numNewTokens;
    const numNewBlocks = this.blocksFor(numTokens) - numHeldBlocks - computedBlocks.length;
    // Hit blocks nobody uses are counted as free but cannot also be handed out as new ones.
    const numFreeHits = computedBlocks.filter((block) => block.refCount === 0).length;
    if (numNewBlocks > this.pool.numFreeBlocks - numFreeHits) return null;

    this.pool.touch(computedBlocks);
    const newBlocks = this.pool.allocate(numNewBlocks) as KVCacheBlock[];
    if (held === undefined) {
      this.byRequest.set(request.requestId, {
        blocks: [...computedBlocks, ...newBlocks],
        numTokens,
        numCachedBlocks: computedBlocks.length,
      });
      this.stats.numRequests += 1;
      this.stats.numQueriedTokens += request.blockHashes.length * this.blockSize;
      this.stats.numHitTokens += computedBlocks.length * this.blockSize;
    } else {
      held.blocks.push(...newBlocks);
      held.numTokens = numTokens;
    }
    return newBlocks;
  }

  /** Enters the request's full blocks within its first `numTokens` tokens into the prefix cache. */
  cacheFullBlocks(request: KVCacheRequest, numTokens: number): void {
    const held = this.byRequest.get(request.requestId);
    if (held === undefined) return;
    const numFullBlocks = Math.min(Math.floor(numTokens / this.blockSize), held.blocks.length, request.blockHashes.length);
    for (let i = held.numCachedBlocks; i < numFullBlocks; i++) {
      this.pool.cacheBlock(held.blocks[i] as KVCacheBlock, request.blockHashes[i] as BlockHash);
    }
    held.numCachedBlocks = Math.max(held.numCachedBlocks, numFullBlocks);
  }

  /**
   * Releases the request's blocks, last block first: the tail of a sequence is the least likely
   * to be shared, so it is the first to be evicted.
   */
  free(request: KVCacheRequest): void {
    const held = this.byRequest.get(request.requestId);
    if (held === undefined) return;
    this.byRequest.delete(request.requestId);
    this.pool.free([...held.blocks].reverse());
  }

  /** Takes blocks out of the prefix cache, for KV that was promised but never written (a failed step). */
  uncacheBlocks(blockIds: readonly number[]): void {
    for (const blockId of blockIds) this.pool.uncache(this.pool.block(blockId));
  }

  /** Ids of the request's blocks in position order. */
  getBlockIds(requestId: string): number[] {
    return this.byRequest.get(requestId)?.blocks.map((block) => block.blockId) ?? [];
  }

  /** Free block ids from the next to evict to the most recently freed. */
  freeBlockIds(): number[] {
    return this.pool.freeBlockIds();
  }

  refCount(blockId: number): number {
    return this.pool.block(blockId).refCount;
  }
}
