/** The rerank APIs a benchmark can drive, by the name of the client they stand for. */
export const DIALECTS = ['vllm', 'cohere-v2', 'tei', 'score'] as const;
export type Dialect = (typeof DIALECTS)[number];

export function isDialect(name: string): name is Dialect {
  return (DIALECTS as readonly string[]).includes(name);
}

/** What a benchmark reads from an answer. */
export interface ParsedAnswer {
  /** Scores returned: one per document. */
  scores: number;
  /** usage.prompt_tokens; null for dialects whose answers carry no usage (TEI). */
  promptTokens: number | null;
}

export interface DialectSpec {
  path: string;
  /** The request body a client of this API sends; `model` only when one is named. */
  body(model: string | undefined, query: string, documents: readonly string[]): unknown;
  parse(answer: unknown): ParsedAnswer;
}

export const DIALECT_SPECS: Record<Dialect, DialectSpec> = {
  /** vLLM's (and Jina's) POST /v1/rerank. */
  vllm: {
    path: '/v1/rerank',
    body: (model, query, documents) => ({ ...(model ? { model } : {}), query, documents }),
    parse: (answer) => ({ scores: listOf(answer, 'results').length, promptTokens: promptTokens(answer) }),
  },
  /** Cohere's POST /v2/rerank. */
  'cohere-v2': {
    path: '/v2/rerank',
    body: (model, query, documents) => ({ ...(model ? { model } : {}), query, documents }),
    parse: (answer) => ({ scores: listOf(answer, 'results').length, promptTokens: promptTokens(answer) }),
  },
  /** Text Embeddings Inference's POST /rerank: a bare array back, no usage. */
  tei: {
    path: '/rerank',
    body: (_model, query, documents) => ({ query, texts: documents }),
    parse: (answer) => {
      if (!Array.isArray(answer)) throw new Error('a TEI answer is a JSON array');
      return { scores: answer.length, promptTokens: null };
    },
  },
  /** vLLM's POST /v1/score: the query against each document. */
  score: {
    path: '/v1/score',
    body: (model, query, documents) => ({ ...(model ? { model } : {}), text_1: query, text_2: documents }),
    parse: (answer) => ({ scores: listOf(answer, 'data').length, promptTokens: promptTokens(answer) }),
  },
};

function listOf(answer: unknown, field: string): unknown[] {
  const list = typeof answer === 'object' && answer !== null ? (answer as Record<string, unknown>)[field] : undefined;
  if (!Array.isArray(list)) throw new Error(`the answer has no "${field}" list`);
  return list;
}

function promptTokens(answer: unknown): number | null {
  const usage = (answer as { usage?: { prompt_tokens?: unknown } }).usage;
  return typeof usage?.prompt_tokens === 'number' ? usage.prompt_tokens : null;
}
