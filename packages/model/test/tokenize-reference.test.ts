import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIXTURE_MODELS, fixtureModelDir, loadReference, type ReferencePair } from '@rerankd/testing';
import type { PairInput } from '../src/reranker';
import { loadPairEncoder } from '../src/tokenize';

// The reference writes null for "the default instruction"; PairInput leaves the field out.
function pairOf(reference: ReferencePair): PairInput {
  return { query: reference.query, document: reference.document, instruction: reference.instruction ?? undefined };
}

for (const model of FIXTURE_MODELS) {
  describe(`${model}: token ids match transformers`, () => {
    const reference = loadReference(model);
    const prompt = model.startsWith('qwen3') ? 'qwen3' : 'encoder';

    it('in one batch', async () => {
      const encoder = await loadPairEncoder(fixtureModelDir(model), { prompt });
      const encoded = await encoder.encodeBatch(reference.pairs.map(pairOf));
      assert.equal(encoded.length, reference.pairs.length);
      reference.pairs.forEach((expected, i) => {
        assert.deepEqual(encoded[i]!.inputIds, expected.input_ids, `input_ids of pair ${i}`);
        if (prompt === 'encoder') assert.deepEqual(encoded[i]!.tokenTypeIds, expected.token_type_ids, `token_type_ids of pair ${i}`);
      });
    });

    it('one pair at a time', async () => {
      const encoder = await loadPairEncoder(fixtureModelDir(model), { prompt });
      for (const [i, expected] of reference.pairs.entries()) {
        const encoded = await encoder.encode(pairOf(expected));
        assert.deepEqual(encoded.inputIds, expected.input_ids, `input_ids of pair ${i}`);
        if (prompt === 'encoder') assert.deepEqual(encoded.tokenTypeIds, expected.token_type_ids, `token_type_ids of pair ${i}`);
      }
    });
  });
}
