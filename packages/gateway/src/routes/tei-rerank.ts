import type { GatewayContext } from '../context';
import { TeiRerankRequestSchema, type TeiRerankResponse } from '@rerankd/protocol';
import type { RequestContext } from '../middleware/request-context';
import { parseBody } from '../parse-body';
import { scorePairs } from '../score-pairs';
import { logitOf, rankByScore } from '../scores';

/** Text Embeddings Inference bodies carry `texts`; the other dialects send `documents`. */
export function isTeiRerankBody(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'texts' in body && !('documents' in body);
}

/** TEI's `POST /rerank`: a bare array sorted by score, texts only when asked for. */
export async function teiRerank(ctx: GatewayContext, body: unknown, http: RequestContext): Promise<TeiRerankResponse> {
  const request = parseBody(TeiRerankRequestSchema, body);
  const { scores } = await scorePairs(ctx, {
    pairs: request.texts.map((document, index) => ({ index, query: request.query, document })),
    documentsParam: 'texts',
    truncate: request.truncate,
    http,
  });
  return rankByScore(scores).map(({ index, score }) => ({
    index,
    score: request.raw_scores ? logitOf(score) : score,
    ...(request.return_text ? { text: request.texts[index] } : {}),
  }));
}
