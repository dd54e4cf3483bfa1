import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kvCacheBytesPerBlock, numBlocksForMemory, type KVCacheShape } from '../src';

// Qwen3-Reranker-0.6B: 28 layers, 8 KV heads of 128, bf16; 16-token blocks.
const QWEN3_0_6B: KVCacheShape = { numLayers: 28, numKVHeads: 8, headDim: 128, blockSize: 16, dtypeBytes: 2 };

describe('KV cache sizing', () => {
  it('counts K and V for every layer', () => {
    assert.equal(kvCacheBytesPerBlock(QWEN3_0_6B), 2 * 28 * 8 * 128 * 16 * 2);
    assert.equal(kvCacheBytesPerBlock(QWEN3_0_6B), 1_835_008);
  });

  it('fits whole blocks in the memory budget', () => {
    assert.equal(numBlocksForMemory(2 ** 30, QWEN3_0_6B), 585);
    assert.equal(numBlocksForMemory(1_835_007, QWEN3_0_6B), 0);
    // Each of two tensor-parallel ranks holds half the heads, so twice the blocks fit.
    assert.equal(numBlocksForMemory(2 ** 30, { ...QWEN3_0_6B, numKVHeads: 4 }), 1170);
  });

  it('rejects shapes that are not positive integers', () => {
    assert.throws(() => kvCacheBytesPerBlock({ ...QWEN3_0_6B, headDim: 0 }), /headDim/);
    assert.throws(() => numBlocksForMemory(-1, QWEN3_0_6B), RangeError);
  });
});
