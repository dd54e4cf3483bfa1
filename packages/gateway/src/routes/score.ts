import { Router } from 'express';
import { InvalidRequestError, type WorkPair } from '@rerankd/protocol';
import type { GatewayContext } from '../context';
import { ScoreRequestSchema, type ScoreRequest, type ScoreResponse } from '@rerankd/protocol';
import { requestContextOf, type RequestContext } from '../middleware/request-context';
import { parseBody } from '../parse-body';
import { scorePairs } from '../score-pairs';
import { logitOf } from '../scores';

export const SCORE_PATHS = ['/score', '/v1/score'];

/** vLLM's three spellings of the two sides, in the order it reads them. */
const SIDE_NAMES = [
  ['queries', 'documents'],
  ['data_1', 'data_2'],
  ['text_1', 'text_2'],
] as const;

/** One left item scores against every right item; otherwise the sides pair up one to one. */
function pairSides(request: ScoreRequest): { pairs: WorkPair[]; rightParam: string } {
  const names = SIDE_NAMES.find(([left, right]) => request[left] != null || request[right] != null) ?? SIDE_NAMES[2];
  const [leftParam, rightParam] = names;
  const left = request[leftParam];
  const right = request[rightParam];
  if (left == null) throw new InvalidRequestError(`${leftParam} is required.`, leftParam);
  if (right == null) throw new InvalidRequestError(`${rightParam} is required.`, rightParam);
  const queries = typeof left === 'string' ? [left] : left;
  const documents = typeof right === 'string' ? [right] : right;
  if (queries.length === 0) throw new InvalidRequestError(`${leftParam} must not be empty.`, leftParam);
  if (documents.length === 0) throw new InvalidRequestError(`${rightParam} must not be empty.`, rightParam);
  if (queries.length > 1 && queries.length !== documents.length) {
    throw new InvalidRequestError(
      `${leftParam} and ${rightParam} must pair 1:1, 1:N or N:N (got ${queries.length}:${documents.length}).`,
      rightParam,
    );
  }
  const pairs = documents.map((document, index) => ({
    index,
    query: (queries.length === 1 ? queries[0] : queries[index]) ?? '',
    document,
  }));
  return { pairs, rightParam };
}

async function score(ctx: GatewayContext, body: unknown, http: RequestContext): Promise<ScoreResponse> {
  const request = parseBody(ScoreRequestSchema, body);
  const { pairs, rightParam } = pairSides(request);
  const scored = await scorePairs(ctx, {
    model: request.model,
    pairs,
    documentsParam: rightParam,
    instruction: request.instruction,
    truncate: request.truncate,
    http,
  });
  const raw = request.use_activation === false;
  return {
    id: `score-${scored.requestId}`,
    object: 'list',
    created: Math.floor(ctx.now() / 1000),
    model: scored.model,
    data: scored.scores.map(({ index, score }) => ({ index, object: 'score', score: raw ? logitOf(score) : score })),
    usage: { prompt_tokens: scored.promptTokens, total_tokens: scored.promptTokens, completion_tokens: 0 },
  };
}

/** vLLM's score API: scores in pair order, unsorted. */
export function scoreRouter(ctx: GatewayContext): Router {
  return Router().post(SCORE_PATHS, async (req, res) => {
    res.json(await score(ctx, req.body, requestContextOf(res)));
  });
}
