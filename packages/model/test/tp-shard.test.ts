import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixtureModelDir, loadReference, type ReferencePair } from '@rerankd/testing';
import { checkTensorParallel, inProcessGroup, loadHfModel, loadReranker, planQwen3Shard, type LoadedShard, type LoadRerankerOptions, type PairInput } from '@rerankd/model';

// Tensor-parallel splits in one process (in-memory all-reduce): the arithmetic of the split.
// The gRPC groups are tested in packages/tensor-parallel and test/tp.
const SCORE_TOLERANCE = 1e-4;

const toPair = (p: ReferencePair): PairInput => ({ query: p.query, document: p.document, ...(p.instruction !== null ? { instruction: p.instruction } : {}) });

async function scoresOf(options: LoadRerankerOptions, pairs: PairInput[]): Promise<number[][]> {
  const reranker = await loadReranker({ threads: 1, ...options });
  try {
    // Twice: the second time the prefixes are cached (when caching is on).
    return [(await reranker.score(pairs)).map((o) => o.score), (await reranker.score(pairs)).map((o) => o.score)];
  } finally {
    await reranker.close();
  }
}

const cases = [
  ['qwen3-tiny-tied', 2],
  ['qwen3-tiny-tied', 4],
  ['qwen3-tiny-untied', 2],
] as const;

for (const [name, size] of cases) {
  describe(`${name}, TP=${size} in one process`, () => {
    const model = fixtureModelDir(name);
    const pairs = loadReference(name).pairs.map(toPair);
    for (const prefixCaching of [true, false]) {
      test(`same scores as TP=1 (prefix caching ${prefixCaching ? 'on' : 'off'})`, async (t) => {
        const [whole, split] = await Promise.all([scoresOf({ model, prefixCaching }, pairs), scoresOf({ model, prefixCaching, tensorParallel: inProcessGroup(size) }, pairs)]);
        let worst = 0;
        for (const [run, scores] of split.entries()) {
          scores.forEach((score, i) => {
            const delta = Math.abs(score - (whole[run]![i] as number));
            worst = Math.max(worst, delta);
            assert.ok(delta < SCORE_TOLERANCE, `run ${run}, pair ${i}: ${score} vs ${whole[run]![i]}`);
          });
        }
        t.diagnostic(`max |Δscore| against TP=1: ${worst.toExponential(2)}`);
      });
    }
  });
}

test('each rank holds 1/N of the sharded tensors', async (t) => {
  for (const [name, size] of cases) {
    const shards: LoadedShard[] = [];
    const reranker = await loadReranker({ model: fixtureModelDir(name), threads: 1, tensorParallel: inProcessGroup(size, shards) });
    try {
      for (const shard of shards) {
        const { slicedBytes, slicedFullBytes, wholeBytes, graphBytes } = shard.weights;
        const fraction = slicedBytes / slicedFullBytes;
        t.diagnostic(`${name} TP=${size} rank ${shard.rank}: sharded tensors ${slicedBytes} of ${slicedFullBytes} bytes (${(100 * fraction).toFixed(1)}%), whole tensors ${wholeBytes} bytes, graph files ${graphBytes} bytes`);
        // 1/N (the vocabulary's split is off by a row), more only by K/V when ranks outnumber KV heads.
        assert.ok(fraction > 1 / size - 1e-3 && fraction < 1 / size + 0.05, `${name} rank ${shard.rank}: ${fraction}`);
        assert.equal(shard.plan.size, size);
      }
    } finally {
      await reranker.close();
    }
  }
});

test('TP=4 of a model with 6 heads fails at start-up with a clear message', async () => {
  const model = fixtureModelDir('qwen3-tiny-untied');
  await assert.rejects(loadReranker({ model, tensorParallel: inProcessGroup(4) }), /tensor parallel size 4 does not divide the 6 attention heads of .*qwen3-tiny-untied/);
});

test('encoder models refuse tensor parallelism at start-up', async () => {
  await assert.rejects(loadReranker({ model: fixtureModelDir('bert-tiny-ce'), tensorParallel: inProcessGroup(2) }), /tensor parallelism is not supported for encoder models/);
});

test('KV heads are replicated as vLLM does when ranks outnumber them', () => {
  const { config } = loadHfModel(fixtureModelDir('qwen3-tiny-tied'));
  assert.equal(config.family, 'qwen3');
  if (config.family !== 'qwen3') return;
  checkTensorParallel(config, 4, 'qwen3-tiny-tied');
  const plans = [0, 1, 2, 3].map((rank) => planQwen3Shard(config, 4, rank));
  assert.deepEqual(plans.map((p) => p.kvHeads.start), [0, 0, 1, 1]);
  assert.deepEqual(plans.map((p) => p.heads), [0, 1, 2, 3].map((h) => ({ start: h, end: h + 1 })));
  // The vocabulary is tiled by the ranks' ranges.
  assert.equal(plans[0]?.vocab.start, 0);
  assert.equal(plans[3]?.vocab.end, config.vocabSize);
  plans.slice(1).forEach((p, i) => assert.equal(p.vocab.start, plans[i]?.vocab.end));
});
