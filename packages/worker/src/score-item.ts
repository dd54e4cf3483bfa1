import { RerankdError, type PairScore, type WorkItem, type WorkResult } from '@rerankd/protocol';
import type { PairInput, Reranker } from '@rerankd/model';

/** Scores every pair of a work item; failures become a failed result that names their kind. */
export async function scoreWorkItem(reranker: Reranker, item: WorkItem, workerId: string, cancelled?: AbortSignal): Promise<WorkResult> {
  const base = { itemId: item.itemId, requestId: item.requestId, workerId };
  try {
    const pairs: PairInput[] = item.pairs.map((p) => ({
      query: p.query,
      document: p.document,
      ...(item.instruction !== undefined ? { instruction: item.instruction } : {}),
    }));
    // The deadline and the cancellation travel on: the engine drops pairs nobody awaits.
    const outputs = await reranker.score(pairs, { truncate: item.truncate, deadline: item.deadline, ...(cancelled ? { signal: cancelled } : {}) });
    const scores: PairScore[] = outputs.map((out, i) => ({ index: (item.pairs[i] as { index: number }).index, score: out.score, tokens: out.tokens }));
    return { ok: true, ...base, scores };
  } catch (error) {
    if (error instanceof RerankdError) return { ok: false, ...base, error: { kind: error.kind, message: error.message } };
    throw error;
  }
}
