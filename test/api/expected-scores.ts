import { loadReranker, type Reranker } from '@rerankd/model';

/** Scores of the same model loaded in this process: what `rerankd score` prints for the pairs. */
export async function directScores(modelDir: string, query: string, documents: string[], instruction?: string): Promise<number[]> {
  const reranker: Reranker = await loadReranker({ model: modelDir });
  try {
    const outputs = await reranker.score(documents.map((document) => ({ query, document, ...(instruction ? { instruction } : {}) })));
    return outputs.map((o) => o.score);
  } finally {
    await reranker.close();
  }
}

/** Same scores as `expected` for the same indices (|Δ| < 1e-5), each index exactly once. */
export function assertScoresByIndex(results: { index: number; score: number }[], expected: number[], message = ''): void {
  const seen = new Set<number>();
  for (const { index, score } of results) {
    if (seen.has(index)) throw new Error(`${message} index ${index} answered twice`);
    seen.add(index);
    const want = expected[index];
    if (want === undefined) throw new Error(`${message} unexpected index ${index}`);
    if (Math.abs(score - want) >= 1e-5) throw new Error(`${message} index ${index}: score ${score}, expected ${want}`);
  }
}
