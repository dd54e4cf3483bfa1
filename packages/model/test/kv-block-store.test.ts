import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KvBlockStore } from '../src/kv/kv-block-store';

const shape = { numLayers: 2, numKvHeads: 2, headDim: 3, blockSize: 2, numBlocks: 4 };

/** A present tensor [1, heads, length, dim] whose value encodes (head, token, dim). */
function present(length: number, kind: number): Float32Array {
  const t = new Float32Array(shape.numKvHeads * length * shape.headDim);
  for (let h = 0; h < shape.numKvHeads; h++)
    for (let p = 0; p < length; p++) for (let d = 0; d < shape.headDim; d++) t[(h * length + p) * shape.headDim + d] = kind * 1000 + h * 100 + p * 10 + d;
  return t;
}

/** The first `n` tokens of every head of a present tensor. */
function prefixOf(t: Float32Array, length: number, n: number): Float32Array {
  const out = new Float32Array(shape.numKvHeads * n * shape.headDim);
  for (let h = 0; h < shape.numKvHeads; h++) out.set(t.subarray(h * length * shape.headDim, (h * length + n) * shape.headDim), h * n * shape.headDim);
  return out;
}

test('blocks written from a present tensor gather back as the same prefix, in block order', () => {
  const store = new KvBlockStore(shape);
  const length = 5; // two full blocks; the fifth token is not stored
  store.write(1, [3, 0], { key: present(length, 1), value: present(length, 2) }, length, 0, 4);
  const { key, value } = store.gather(1, [3, 0]);
  assert.deepEqual(key, prefixOf(present(length, 1), length, 4));
  assert.deepEqual(value, prefixOf(present(length, 2), length, 4));
  // Head 1, token 3, dim 2 of the gathered prefix.
  assert.equal(key[(1 * 4 + 3) * 3 + 2], 1000 + 100 + 30 + 2);
  // Layer 0 was never written.
  assert.equal(store.gather(0, [3]).key.every((v) => v === 0), true);
});

test('blocks can be filled from an offset of the present tensor', () => {
  const store = new KvBlockStore(shape);
  store.write(0, [2], { key: present(4, 1), value: present(4, 2) }, 4, 2, 4);
  const { key } = store.gather(0, [2]);
  assert.equal(key[0], 1000 + 20); // token 2 of head 0
  assert.equal(key[(1 * 2 + 1) * 3], 1000 + 100 + 30); // token 3 of head 1
});

test('a prefix that ends inside a block fills it partly and gathers back at its own length', () => {
  const store = new KvBlockStore(shape);
  const length = 6; // a padded run: 5 real tokens, the last one padding
  store.write(0, [1, 2, 3], { key: present(length, 1), value: present(length, 2) }, length, 0, 5);
  const { key, value } = store.gather(0, [1, 2, 3], 5);
  assert.deepEqual(key, prefixOf(present(length, 1), length, 5));
  assert.deepEqual(value, prefixOf(present(length, 2), length, 5));
  // The padding token never reached the pool.
  assert.equal(store.gather(0, [3]).key[3], 0);
});

test('writes and gathers refuse lengths that do not match their blocks', () => {
  const store = new KvBlockStore(shape);
  const kv = { key: present(4, 1), value: present(4, 2) };
  assert.throws(() => store.write(0, [1], kv, 4, 0, 4), RangeError); // 4 tokens need 2 blocks
  assert.throws(() => store.write(0, [1, 2], kv, 4, 0, 5), RangeError); // past the present
  assert.throws(() => store.gather(0, [1, 2], 2), RangeError); // 2 tokens are held by 1 block
});
