import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadHfModel } from '../hf/load';
import { makeRandomModel } from '../hf/random-model';
import type { PresetName } from '../hf/presets';
import { loadReranker } from '../load-reranker';
import type { PairInput } from '../reranker';
import { sequenceFlops } from './flops';
import { modelRooflineGflops } from './matmul-roofline';

export interface ModelBenchOptions {
  like: PresetName;
  pairs: number;
  /** Approximate tokens per pair. */
  tokensPerPair: number;
  /** Where random models are generated once and reused. */
  cacheDir: string;
  threads?: number;
}

export interface ModelBenchResult {
  like: PresetName;
  pairs: number;
  meanTokens: number;
  batchedPairsPerSecond: number;
  singlePairsPerSecond: number;
  /** Model GFLOP/s reached when batched. */
  batchedGflops: number;
  /** fp32 MatMul GFLOP/s of this machine through ORT, measured in the same run. */
  rooflineGflops: number;
}

const WORDS = 'the model reads each passage and decides whether it answers the query about paged attention caches batching throughput latency graphs weights tokens retrieval ranking documents search'.split(' ');

/** Pairs with one shared query and documents of about `tokens` tokens (counted by the model's own tokenizer later). */
function benchPairs(count: number, tokens: number): PairInput[] {
  return Array.from({ length: count }, (_, i) => ({
    query: 'how do paged KV caches speed up reranking?',
    // ~1.1 tokens per word; the template adds ~60 tokens around a Qwen3 pair.
    document: Array.from({ length: Math.round(tokens * 0.8) }, (_, w) => WORDS[(i * 7 + w * 13) % WORDS.length]).join(' '),
  }));
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

/**
 * Pairs/s of one model scoring the same pairs in one batch and one pair per run, next to the
 * fp32 MatMul roofline of this machine measured in the same process.
 */
export async function runModelBench(options: ModelBenchOptions): Promise<ModelBenchResult> {
  const dir = join(options.cacheDir, options.like);
  if (!existsSync(join(dir, 'config.json'))) await makeRandomModel({ like: options.like, outDir: dir, seed: 0 });
  const { config } = loadHfModel(dir);
  const pairs = benchPairs(options.pairs, options.tokensPerPair);
  const threads = options.threads ? { threads: options.threads } : {};
  const reranker = await loadReranker({ model: dir, maxNumPairs: options.pairs, maxNumBatchedTokens: options.pairs * 2 * options.tokensPerPair, ...threads });
  try {
    const warm = await reranker.score(pairs.slice(0, 2));
    const outputs = await reranker.score(pairs);
    void warm;
    const meanTokens = outputs.reduce((s, o) => s + o.tokens, 0) / outputs.length;
    const batchedSeconds = await timed(() => reranker.score(pairs));
    const single = await loadReranker({ model: dir, maxNumPairs: 1, prefixCaching: false, ...threads });
    const singleSeconds = await timed(async () => {
      for (const pair of pairs) await single.score([pair]);
    }).finally(() => single.close());
    const flops = outputs.reduce((s, o) => s + sequenceFlops(config, o.tokens), 0);
    const session = { device: 'cpu' as const, ...(options.threads ? { intraOpThreads: options.threads } : {}) };
    const rooflineGflops = await modelRooflineGflops(config, session);
    return {
      like: options.like,
      pairs: options.pairs,
      meanTokens,
      batchedPairsPerSecond: options.pairs / batchedSeconds,
      singlePairsPerSecond: options.pairs / singleSeconds,
      batchedGflops: flops / batchedSeconds / 1e9,
      rooflineGflops,
    };
  } finally {
    await reranker.close();
  }
}
