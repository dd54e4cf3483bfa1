import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KVCacheManager, type KVCacheBlock, type KVCacheRequest } from '../src';
import { tokenRange } from './work-items';

const BLOCK_SIZE = 4;

function setup(numBlocks: number) {
  const kv = new KVCacheManager({ numBlocks, blockSize: BLOCK_SIZE, cacheKey: ['test-model'] });
  const request = (requestId: string, tokenIds: number[]): KVCacheRequest => ({ requestId, blockHashes: kv.hashBlocks(tokenIds) });
  /** Looks up, allocates the rest of `tokenIds` and caches the full blocks, as the scheduler does on admission. */
  const admit = (r: KVCacheRequest, numTokens: number): KVCacheBlock[] | null => {
    const hits = kv.getComputedBlocks(r);
    const blocks = kv.allocateSlots(r, numTokens - hits.length * BLOCK_SIZE, hits);
    if (blocks !== null) kv.cacheFullBlocks(r, numTokens);
    return blocks;
  };
  const refCounts = (blockIds: number[]) => blockIds.map((id) => kv.refCount(id));
  return { kv, request, admit, refCounts };
}

describe('KVCacheManager prefix caching', () => {
  it('shares a cached prefix between two requests and counts both users', () => {
    const { kv, request, admit, refCounts } = setup(10);
    const a = request('a', tokenRange(1, 12));
    assert.deepEqual(kv.getComputedBlocks(a), []);
    assert.deepEqual(admit(a, 12)?.map((b) => b.blockId), [0, 1, 2]);

    // Same 12 tokens, then 2 of its own: three hits and one new, partial block.
    const b = request('b', [...tokenRange(1, 12), 50, 51]);
    assert.deepEqual(kv.getComputedBlocks(b).map((block) => block.blockId), [0, 1, 2]);
    assert.deepEqual(admit(b, 14)?.map((block) => block.blockId), [3]);
    assert.deepEqual(kv.getBlockIds('b'), [0, 1, 2, 3]);
    assert.deepEqual(refCounts([0, 1, 2, 3]), [2, 2, 2, 1]);
    assert.deepEqual(kv.freeBlockIds(), [4, 5, 6, 7, 8, 9]);
    assert.deepEqual(kv.prefixCacheStats, { numRequests: 2, numQueriedTokens: 24, numHitTokens: 12 });

    kv.free(a);
    assert.deepEqual(refCounts([0, 1, 2, 3]), [1, 1, 1, 1]);
    assert.deepEqual(kv.freeBlockIds(), [4, 5, 6, 7, 8, 9]);
    kv.free(b);
    assert.deepEqual(kv.freeBlockIds(), [4, 5, 6, 7, 8, 9, 3, 2, 1, 0], 'freed last block first');
    assert.equal(kv.usage, 0);
  });

  it('does not cache a partial last block', () => {
    const { kv, request, admit } = setup(10);
    const a = request('a', tokenRange(1, 10));
    assert.equal(a.blockHashes.length, 2);
    assert.deepEqual(admit(a, 10)?.map((b) => b.blockId), [0, 1, 2]);
    kv.free(a);
    assert.deepEqual(kv.freeBlockIds(), [3, 4, 5, 6, 7, 8, 9, 2, 1, 0]);

    const again = request('again', tokenRange(1, 10));
    assert.deepEqual(kv.getComputedBlocks(again).map((b) => b.blockId), [0, 1], '8 of 10 tokens hit');
  });

  it('evicts least recently freed blocks first and keeps the rest of a prefix hittable', () => {
    const { kv, request, admit, refCounts } = setup(6);
    const a = request('a', tokenRange(1, 8));
    const b = request('b', tokenRange(21, 8));
    assert.deepEqual(admit(a, 8)?.map((x) => x.blockId), [0, 1]);
    assert.deepEqual(admit(b, 8)?.map((x) => x.blockId), [2, 3]);
    kv.free(a);
    kv.free(b);
    assert.deepEqual(kv.freeBlockIds(), [4, 5, 1, 0, 3, 2]);

    // 12 fresh tokens take 4, 5 and then a's tail block.
    const c = request('c', tokenRange(41, 12));
    assert.deepEqual(admit(c, 12)?.map((x) => x.blockId), [4, 5, 1]);
    assert.deepEqual(kv.freeBlockIds(), [0, 3, 2]);
    assert.deepEqual(kv.getComputedBlocks(request('a2', tokenRange(1, 8))).map((x) => x.blockId), [0]);

    // b's prefix is still whole; a hit takes its blocks out of the middle of the queue.
    const b2 = request('b2', tokenRange(21, 8));
    assert.deepEqual(kv.getComputedBlocks(b2).map((x) => x.blockId), [2, 3]);
    assert.deepEqual(admit(b2, 8), []);
    assert.deepEqual(kv.freeBlockIds(), [0]);
    assert.deepEqual(refCounts([2, 3]), [1, 1]);
  });

  it('returns null and changes nothing when there is no room', () => {
    const { kv, request, admit, refCounts } = setup(4);
    const a = request('a', tokenRange(1, 12));
    admit(a, 12);
    const b = request('b', tokenRange(21, 8));
    assert.equal(admit(b, 8), null);
    assert.deepEqual(kv.freeBlockIds(), [3]);
    assert.deepEqual(kv.getBlockIds('b'), []);
    assert.deepEqual(refCounts([0, 1, 2, 3]), [1, 1, 1, 0]);
    assert.deepEqual(kv.prefixCacheStats, { numRequests: 1, numQueriedTokens: 12, numHitTokens: 0 });
  });

  it('does not count free hit blocks as room for new blocks', () => {
    const { kv, request, admit } = setup(3);
    const a = request('a', tokenRange(1, 8));
    admit(a, 8);
    kv.free(a);
    assert.deepEqual(kv.freeBlockIds(), [2, 1, 0]);

    // Three blocks are free, but two of them are the hits: only one is left for two new blocks.
    const longer = request('longer', [...tokenRange(1, 8), ...tokenRange(31, 8)]);
    assert.deepEqual(kv.getComputedBlocks(longer).map((x) => x.blockId), [0, 1]);
    assert.equal(admit(longer, 16), null);
    assert.deepEqual(kv.freeBlockIds(), [2, 1, 0]);
    assert.equal(kv.getComputedBlocks(longer).length, 2, 'the hits are still cached');
  });

  it('grows a request block by block and caches each block once it is full', () => {
    const { kv, request, refCounts } = setup(4);
    const r = request('r', tokenRange(1, 8));
    assert.deepEqual(kv.allocateSlots(r, 3)?.map((x) => x.blockId), [0]);
    kv.cacheFullBlocks(r, 3);
    assert.deepEqual(kv.getComputedBlocks(request('probe', tokenRange(1, 8))), []);
    assert.deepEqual(kv.allocateSlots(r, 1), [], 'the 4th token fits the held block');
    assert.deepEqual(kv.allocateSlots(r, 2)?.map((x) => x.blockId), [1]);
    kv.cacheFullBlocks(r, 6);
    assert.deepEqual(kv.getComputedBlocks(request('probe', tokenRange(1, 8))).map((x) => x.blockId), [0]);
    assert.deepEqual(refCounts([0, 1]), [1, 1]);
  });

  it('uncaches blocks whose KV was never written', () => {
    const { kv, request, admit } = setup(4);
    const a = request('a', tokenRange(1, 8));
    admit(a, 8);
    kv.uncacheBlocks([1]);
    kv.free(a);
    assert.deepEqual(kv.getComputedBlocks(request('a2', tokenRange(1, 8))).map((x) => x.blockId), [0]);
  });
});
