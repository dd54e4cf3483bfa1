import { Router } from 'express';
import type { GatewayContext } from '../context';
import { RerankRequestSchema, type RerankResponse } from '@rerankd/protocol';
import { requestContextOf, type RequestContext } from '../middleware/request-context';
import { parseBody } from '../parse-body';
import { scorePairs } from '../score-pairs';
import { logitOf, rankByScore } from '../scores';
import { isTeiRerankBody, teiRerank } from './tei-rerank';

/**
 * How the paths differ. vLLM and Jina return documents unless told not to, and Cohere v1 clients
 * accept them; Cohere v2 has no documents in its answer.
 */
interface RerankDialect {
  apiVersion: '1' | '2';
  returnDocumentsByDefault: boolean;
}
const V1: RerankDialect = { apiVersion: '1', returnDocumentsByDefault: true };
const V2: RerankDialect = { apiVersion: '2', returnDocumentsByDefault: false };

/**
 * `/v1/v1/rerank` is where Cohere's client posts when its base URL already ends in `/v1`, as
 * RAGFlow's "VLLM" provider configures it.
 */
export const RERANK_PATHS = ['/rerank', '/v1/rerank', '/v1/v1/rerank', '/v2/rerank'];

async function rerank(ctx: GatewayContext, body: unknown, dialect: RerankDialect, http: RequestContext): Promise<RerankResponse> {
  const request = parseBody(RerankRequestSchema, body);
  const texts = request.documents.map((document) => (typeof document === 'string' ? document : document.text));
  const scored = await scorePairs(ctx, {
    model: request.model,
    pairs: texts.map((document, index) => ({ index, query: request.query, document })),
    documentsParam: 'documents',
    instruction: request.instruction,
    truncate: request.truncate,
    http,
  });
  const returnDocuments = request.return_documents ?? dialect.returnDocumentsByDefault;
  const raw = request.use_activation === false;
  return {
    id: `rerank-${scored.requestId}`,
    model: scored.model,
    usage: { prompt_tokens: scored.promptTokens, total_tokens: scored.promptTokens },
    results: rankByScore(scored.scores, request.top_n).map(({ index, score }) => ({
      index,
      relevance_score: raw ? logitOf(score) : score,
      ...(returnDocuments ? { document: { text: texts[index] ?? '' } } : {}),
    })),
    meta: { api_version: { version: dialect.apiVersion }, tokens: { input_tokens: scored.promptTokens } },
  };
}

/** vLLM, Jina and Cohere rerank; TEI's shape too on `/rerank`, told apart by its fields. */
export function rerankRouter(ctx: GatewayContext): Router {
  return Router()
    .post('/rerank', async (req, res) => {
      const http = requestContextOf(res);
      res.json(isTeiRerankBody(req.body) ? await teiRerank(ctx, req.body, http) : await rerank(ctx, req.body, V1, http));
    })
    .post(['/v1/rerank', '/v1/v1/rerank'], async (req, res) => {
      res.json(await rerank(ctx, req.body, V1, requestContextOf(res)));
    })
    .post('/v2/rerank', async (req, res) => {
      res.json(await rerank(ctx, req.body, V2, requestContextOf(res)));
    });
}
