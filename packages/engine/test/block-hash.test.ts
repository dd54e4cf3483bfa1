import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashBlockTokens, hashFullBlocks, rootBlockHash } from '../src';

describe('block hashing', () => {
  const root = rootBlockHash(['model-a']);

  it('hashes full blocks only, each chained to the one before', () => {
    const hashes = hashFullBlocks(root, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 4);
    assert.equal(hashes.length, 2);
    const first = hashBlockTokens(root, [1, 2, 3, 4]);
    assert.deepEqual(hashes, [first, hashBlockTokens(first, [5, 6, 7, 8])]);
    assert.match(first, /^[0-9a-f]{64}$/);
  });

  it('gives the same block different hashes after different prefixes', () => {
    const [, afterA] = hashFullBlocks(root, [1, 2, 3, 4, 5, 6, 7, 8], 4);
    const [, afterB] = hashFullBlocks(root, [1, 2, 3, 9, 5, 6, 7, 8], 4);
    assert.notEqual(afterA, afterB);
  });

  it('keeps two models apart through the root', () => {
    const tokens = [1, 2, 3, 4];
    assert.notEqual(hashFullBlocks(root, tokens, 4)[0], hashFullBlocks(rootBlockHash(['model-b']), tokens, 4)[0]);
    assert.equal(hashFullBlocks(root, tokens, 4)[0], hashFullBlocks(rootBlockHash(['model-a']), tokens, 4)[0]);
  });

  it('tells token ids apart beyond 16 bits', () => {
    assert.notEqual(hashBlockTokens(root, [65_536, 0]), hashBlockTokens(root, [0, 1]));
    assert.notEqual(hashBlockTokens(root, [151_643, 7]), hashBlockTokens(root, [151_643, 8]));
  });
});
