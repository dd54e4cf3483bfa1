import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIXTURE_MODELS, fixtureModelDir, loadReference } from '@rerankd/testing';
import { loadReranker } from '@rerankd/model';

// Drift of int8 projections from the fp32 references, measured on every fixture pair; the
// figures printed here are the ones docs/benchmarks.md quotes.
const MAX_SCORE_DRIFT = 0.05;

test('int8 quantization keeps every fixture score close to the fp32 reference', async (t) => {
  for (const name of FIXTURE_MODELS) {
    const reference = loadReference(name);
    const reranker = await loadReranker({ model: fixtureModelDir(name), quantization: 'int8' });
    try {
      const outputs = await reranker.score(reference.pairs.map((p) => ({ query: p.query, document: p.document, ...(p.instruction !== null ? { instruction: p.instruction } : {}) })));
      const drift = Math.max(...outputs.map((o, i) => Math.abs(o.score - (reference.pairs[i]?.score as number))));
      t.diagnostic(`int8 max |Δscore| on ${name}: ${drift.toExponential(2)}`);
      assert.ok(drift < MAX_SCORE_DRIFT, `${name}: int8 drift ${drift}`);
    } finally {
      await reranker.close();
    }
  }
});
