import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlockPool, type KVCacheBlock } from '../src';

const ids = (blocks: readonly KVCacheBlock[] | null) => blocks?.map((block) => block.blockId) ?? null;

describe('BlockPool', () => {
  it('allocates from the head, frees to the tail, touches out of the middle', () => {
    const pool = new BlockPool(5);
    assert.deepEqual(pool.freeBlockIds(), [0, 1, 2, 3, 4]);

    const a = pool.allocate(2) as KVCacheBlock[];
    assert.deepEqual(ids(a), [0, 1]);
    const b = pool.allocate(3) as KVCacheBlock[];
    assert.deepEqual(ids(b), [2, 3, 4]);
    assert.deepEqual(pool.freeBlockIds(), []);
    assert.equal(pool.usage, 1);

    assert.equal(pool.allocate(1), null);

    pool.free([...b].reverse());
    assert.deepEqual(pool.freeBlockIds(), [4, 3, 2]);
    pool.touch([pool.block(3)]);
    assert.deepEqual(pool.freeBlockIds(), [4, 2]);
    assert.equal(pool.block(3).refCount, 1);

    pool.free([...a].reverse());
    assert.deepEqual(pool.freeBlockIds(), [4, 2, 1, 0]);
    assert.equal(pool.numFreeBlocks, 4);
    assert.equal(pool.usage, 0.2);
  });

  it('counts users: a block returns to the free queue only when its last user frees it', () => {
    const pool = new BlockPool(3);
    const [block] = pool.allocate(1) as KVCacheBlock[];
    pool.touch([block as KVCacheBlock]);
    assert.equal(block?.refCount, 2);
    pool.free([block as KVCacheBlock]);
    assert.deepEqual(pool.freeBlockIds(), [1, 2]);
    pool.free([block as KVCacheBlock]);
    assert.deepEqual(pool.freeBlockIds(), [1, 2, 0]);
    assert.throws(() => pool.free([block as KVCacheBlock]), /freed more often than used/);
  });

  it('evicts a cached block when it is reallocated, and removes its hash', () => {
    const pool = new BlockPool(3);
    const blocks = pool.allocate(3) as KVCacheBlock[];
    assert.equal(pool.cacheBlock(blocks[1] as KVCacheBlock, 'h1'), true);
    assert.equal(pool.cacheBlock(blocks[2] as KVCacheBlock, 'h1'), false, 'the hash already names block 1');
    pool.free([...blocks].reverse());
    assert.deepEqual(pool.freeBlockIds(), [2, 1, 0]);
    assert.equal(pool.getCachedBlock('h1')?.blockId, 1, 'a free block stays hittable');

    assert.deepEqual(ids(pool.allocate(1)), [2]);
    assert.equal(pool.getCachedBlock('h1')?.blockId, 1);
    assert.deepEqual(ids(pool.allocate(1)), [1]);
    assert.equal(pool.getCachedBlock('h1'), null);
    assert.equal(pool.block(1).blockHash, null);
  });

  it('rejects a pool without blocks', () => {
    assert.throws(() => new BlockPool(0), RangeError);
  });
});
