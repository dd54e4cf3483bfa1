import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FreeBlockQueue, KVCacheBlock } from '../src';

describe('FreeBlockQueue', () => {
  const blocks = () => Array.from({ length: 5 }, (_, id) => new KVCacheBlock(id));

  it('pops from the head and appends at the tail', () => {
    const all = blocks();
    const queue = new FreeBlockQueue(all);
    assert.deepEqual(queue.blockIds(), [0, 1, 2, 3, 4]);
    assert.equal(queue.popLeft()?.blockId, 0);
    queue.append(all[0] as KVCacheBlock);
    assert.deepEqual(queue.blockIds(), [1, 2, 3, 4, 0]);
    assert.equal(queue.length, 5);
  });

  it('removes a block from the middle and keeps the rest in order', () => {
    const all = blocks();
    const queue = new FreeBlockQueue(all);
    queue.remove(all[2] as KVCacheBlock);
    assert.deepEqual(queue.blockIds(), [0, 1, 3, 4]);
    queue.remove(all[4] as KVCacheBlock);
    queue.remove(all[0] as KVCacheBlock);
    assert.deepEqual(queue.blockIds(), [1, 3]);
    assert.equal(queue.length, 2);
    assert.throws(() => queue.remove(all[2] as KVCacheBlock), /not in the free queue/);
    assert.throws(() => queue.append(all[1] as KVCacheBlock), /already in the free queue/);
  });

  it('returns null when empty', () => {
    const queue = new FreeBlockQueue([new KVCacheBlock(7)]);
    assert.equal(queue.popLeft()?.blockId, 7);
    assert.equal(queue.popLeft(), null);
    assert.deepEqual(queue.blockIds(), []);
  });
});
