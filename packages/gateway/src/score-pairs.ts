import { InvalidRequestError, type PairScore, type WorkPair } from '@rerankd/protocol';
import type { GatewayContext } from './context';
import type { RequestContext } from './middleware/request-context';
import { resolveLiveModel } from './served-models';
import { boundTexts } from './text-bound';

export interface PairsRequest {
  model?: string | null;
  pairs: WorkPair[];
  /** The body field the pairs' documents came from, named when there are too many. */
  documentsParam: string;
  instruction?: string | null;
  truncate?: boolean | null;
  /** The HTTP request: its id names the answer, and its client leaving cancels the work. */
  http: RequestContext;
}

export interface ScoredPairs {
  /** The HTTP request's id (`X-Request-Id`). */
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
  const truncate = request.truncate ?? true;
  const { pairs, instruction } = boundTexts(request.pairs, request.instruction ?? undefined, {
    maxModelLen: model.maxModelLen,
    truncate,
    documentsParam: request.documentsParam,
  });
  const { scores } = await ctx.dispatcher.dispatch({
    model: model.name,
    pairs,
    instruction,
    truncate,
    signal: request.http.clientGone,
  });
  const promptTokens = scores.reduce((sum, score) => sum + score.tokens, 0);
  return { requestId: request.http.id, model: model.name, scores, promptTokens };
}
