import { InvalidRequestError, type PairScore, type WorkPair } from '@rerankd/protocol';
import type { GatewayContext } from './context';
import { resolveLiveModel } from './served-models';

export interface PairsRequest {
  model?: string | null;
  pairs: WorkPair[];
  /** The body field the pairs' documents came from, named when there are too many. */
  documentsParam: string;
  instruction?: string | null;
  truncate?: boolean | null;
}

export interface ScoredPairs {
  requestId: string;
  model: string;
  /** One per pair, in index order. */
  scores: PairScore[];
  promptTokens: number;
}

/** The path every dialect shares: model, limits, a live worker, then the queue. */
export async function scorePairs(ctx: GatewayContext, request: PairsRequest): Promise<ScoredPairs> {
  const limit = ctx.config.limits.maxDocumentsPerRequest;
  if (request.pairs.length > limit) {
    throw new InvalidRequestError(
      `${request.documentsParam}: at most ${limit} documents per request (got ${request.pairs.length}).`,
      request.documentsParam,
    );
  }
  const model = await resolveLiveModel(request.model, ctx.served);
  const { requestId, scores } = await ctx.dispatcher.dispatch({
    model,
    pairs: request.pairs,
    instruction: request.instruction ?? undefined,
    truncate: request.truncate ?? true,
  });
  const promptTokens = scores.reduce((sum, score) => sum + score.tokens, 0);
  return { requestId, model, scores, promptTokens };
}
