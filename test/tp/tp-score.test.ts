import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixtureModelDir, loadReference } from '@rerankd/testing';
import { maxDelta, runCli, scoresOf } from './cli';

// `rerankd score --tp N`: rank 0 in the command's process, ranks 1..N−1 as child processes over gRPC.
const SCORE_TOLERANCE = 1e-4;

for (const [name, sizes] of [['qwen3-tiny-tied', [2, 4]], ['qwen3-tiny-untied', [2]]] as const) {
  describe(`rerankd score --tp on ${name}`, () => {
    const model = fixtureModelDir(name);
    const input = loadReference(name)
      .pairs.map((p) => JSON.stringify({ query: p.query, document: p.document, ...(p.instruction !== null ? { instruction: p.instruction } : {}) }))
      .join('\n');
    for (const prefix of [[], ['--no-prefix-caching']]) {
      for (const size of sizes) {
        test(`--tp ${size}${prefix.length ? ' --no-prefix-caching' : ''}: the scores of TP=1`, async (t) => {
          const [whole, split] = await Promise.all([
            runCli(['score', model, '--threads', '1', ...prefix], input),
            runCli(['score', model, '--tp', String(size), '--threads', '1', ...prefix], input),
          ]);
          const worst = maxDelta(scoresOf(split), scoresOf(whole), SCORE_TOLERANCE);
          t.diagnostic(`max |Δscore| ${worst.toExponential(2)} over ${scoresOf(whole).length} pairs`);
          assert.match(split.stderr, new RegExp(`tensor-parallel group of ${size} linked`));
        });
      }
    }
  });
}

test('--tensor-parallel-size is --tp under vLLM\'s name', async () => {
  const model = fixtureModelDir('qwen3-tiny-tied');
  const input = JSON.stringify({ query: 'q', document: 'd' });
  const [whole, split] = await Promise.all([runCli(['score', model, '--threads', '1'], input), runCli(['score', model, '--tensor-parallel-size', '2', '--threads', '1'], input)]);
  maxDelta(scoresOf(split), scoresOf(whole), SCORE_TOLERANCE);
});

test('--tp 4 on a model with 6 attention heads fails at start-up with a clear message', async () => {
  const run = await runCli(['score', fixtureModelDir('qwen3-tiny-untied'), '--tp', '4'], JSON.stringify({ query: 'q', document: 'd' }));
  assert.equal(run.code, 1);
  assert.match(run.stderr, /^rerankd: error: tensor parallel size 4 does not divide the 6 attention heads of .*qwen3-tiny-untied$/m);
  assert.doesNotMatch(run.stderr, /rank 1/, 'no rank was started');
});

test('encoder models refuse --tp at start-up', async () => {
  const run = await runCli(['score', fixtureModelDir('bert-tiny-ce'), '--tp', '2'], JSON.stringify({ query: 'q', document: 'd' }));
  assert.equal(run.code, 1);
  assert.match(run.stderr, /rerankd: error: tensor parallelism is not supported for encoder models/);
});
