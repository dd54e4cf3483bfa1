import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FIXTURE_MODELS, fixtureModelDir, loadReference, type FixtureModel, type ReferencePair } from '@rerankd/testing';
import { loadReranker, type PairInput, type PairOutput, type Reranker } from '@rerankd/model';

// Agreement an fp32 engine must reach with transformers (fixtures/README.md).
const LOGIT_TOLERANCE = 1e-3;
const SCORE_TOLERANCE = 1e-4;

const toPair = (p: ReferencePair): PairInput => ({
  query: p.query,
  document: p.document,
  ...(p.instruction !== null ? { instruction: p.instruction } : {}),
});

function assertMatches(name: string, ref: ReferencePair, out: PairOutput, i: number): void {
  assert.deepEqual(out.inputIds, ref.input_ids, `${name} pair ${i}: input ids`);
  if (ref.token_type_ids) assert.deepEqual(out.tokenTypeIds, ref.token_type_ids, `${name} pair ${i}: token type ids`);
  if (ref.logit_yes !== undefined) {
    assert.ok(Math.abs((out.logitYes as number) - ref.logit_yes) < LOGIT_TOLERANCE, `${name} pair ${i}: logit_yes ${out.logitYes} vs ${ref.logit_yes}`);
    assert.ok(Math.abs((out.logitNo as number) - (ref.logit_no as number)) < LOGIT_TOLERANCE, `${name} pair ${i}: logit_no ${out.logitNo} vs ${ref.logit_no}`);
  } else {
    assert.ok(Math.abs((out.logit as number) - (ref.logit as number)) < LOGIT_TOLERANCE, `${name} pair ${i}: logit ${out.logit} vs ${ref.logit}`);
  }
  assert.ok(Math.abs(out.score - ref.score) < SCORE_TOLERANCE, `${name} pair ${i}: score ${out.score} vs ${ref.score}`);
}

for (const name of FIXTURE_MODELS) {
  describe(`${name} scores as transformers does`, () => {
    let reranker: Reranker;
    const reference = loadReference(name as FixtureModel);
    before(async () => {
      reranker = await loadReranker({ model: fixtureModelDir(name) });
    });
    after(() => reranker.close());

    test('all pairs in one batch', async () => {
      const outputs = await reranker.score(reference.pairs.map(toPair), { emitIds: true });
      reference.pairs.forEach((ref, i) => assertMatches(name, ref, outputs[i] as PairOutput, i));
    });

    test('one pair at a time', async () => {
      for (const [i, ref] of reference.pairs.entries()) {
        const [out] = await reranker.score([toPair(ref)], { emitIds: true });
        assertMatches(name, ref, out as PairOutput, i);
      }
    });
  });
}
