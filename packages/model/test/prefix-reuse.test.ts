import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixtureModelDir, loadReference, type ReferencePair } from '@rerankd/testing';
import { loadReranker, type LoadRerankerOptions, type PairInput } from '@rerankd/model';

const toPair = (p: ReferencePair): PairInput => ({
  query: p.query,
  document: p.document,
  ...(p.instruction !== null ? { instruction: p.instruction } : {}),
});

async function scoresOf(options: LoadRerankerOptions, pairs: PairInput[]) {
  const reranker = await loadReranker(options);
  try {
    const first = await reranker.score(pairs);
    // The same pairs again: their prefixes are now cached (when caching is on).
    const again = await reranker.score(pairs);
    return { first, again, stats: reranker.stats };
  } finally {
    await reranker.close();
  }
}

for (const name of ['qwen3-tiny-tied', 'qwen3-tiny-untied'] as const) {
  describe(`${name}: shared-prefix KV reuse`, () => {
    const reference = loadReference(name);
    const pairs = reference.pairs.map(toPair);
    const model = fixtureModelDir(name);

    const configurations: [string, Partial<LoadRerankerOptions>][] = [
      ['prefix caching on', {}],
      ['prefix caching off', { prefixCaching: false }],
      ['a pool of 8 blocks (evicting)', { numKvBlocks: 8 }],
      ['one pair per step', { maxNumPairs: 1 }],
    ];
    for (const [label, options] of configurations) {
      test(`${label}: scores equal the references`, async () => {
        const { first, again } = await scoresOf({ model, ...options }, pairs);
        for (const outputs of [first, again]) {
          reference.pairs.forEach((ref, i) => assert.ok(Math.abs((outputs[i]?.score as number) - ref.score) < 1e-4, `${label}, pair ${i}: ${outputs[i]?.score} vs ${ref.score}`));
        }
      });
    }

    test('a query\'s prefix is computed once and hit by its documents and by later requests', async () => {
      const { stats } = await scoresOf({ model }, pairs);
      assert.ok(stats.prefixCacheQueriedTokens > 0);
      // The first call computes each query's prefix once; the second finds all of them cached.
      assert.ok(stats.prefixCacheHitTokens * 2 >= stats.prefixCacheQueriedTokens, `hits ${stats.prefixCacheHitTokens} of ${stats.prefixCacheQueriedTokens}`);
      assert.ok(stats.prefixCacheHitTokens > 0);
    });

    test('without prefix caching nothing is cached', async () => {
      const { stats } = await scoresOf({ model, prefixCaching: false }, pairs);
      assert.equal(stats.prefixCacheHitTokens, 0);
    });
  });
}
