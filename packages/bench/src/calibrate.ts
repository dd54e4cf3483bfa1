import { UnavailableError } from '@rerankd/protocol';
import type { RerankClient } from './client/rerank-client';
import { readCounters } from './metrics/engine-metrics';
import type { TextGenerator } from './text/text-generator';

const DOCS = 8;
const SHORT_WORDS = 16;
const LONG_WORDS = 64;

/**
 * Tokens per generated word in the served model's tokenizer, from the server's own count: two
 * requests with the same query and the same number of documents, short and long, whose prompt
 * tokens differ by the documents' extra words alone (the template and the query cancel out).
 * Pairs stay short enough not to be truncated by a 512-token encoder. The count is the answer's
 * usage.prompt_tokens, or for dialects without usage the workers' token counter on /metrics.
 * Null when neither is there or the ratio is implausible; a failed request is an error (a wrong
 * URL or key shows up here, before any load is sent).
 */
export async function calibrateTokensPerWord(client: RerankClient, text: TextGenerator): Promise<number | null> {
  const query = text.query('calibrate');
  const tokens = async (words: number): Promise<number | null> => {
    const documents = Array.from({ length: DOCS }, (_, d) => text.words(`calibrate/${words}/d${d}`, words));
    const before = await workerTokens(client);
    const outcome = await client.send(client.prepare(query, documents));
    if (!outcome.ok) throw new UnavailableError(`the first request to ${client.options.url} failed: ${outcome.error ?? 'unknown error'}`);
    if (outcome.promptTokens !== null) return outcome.promptTokens;
    const after = await workerTokens(client);
    return before === null || after === null ? null : after - before;
  };
  const short = await tokens(SHORT_WORDS);
  const long = await tokens(LONG_WORDS);
  if (short === null || long === null) return null;
  const ratio = (long - short) / (DOCS * (LONG_WORDS - SHORT_WORDS));
  return ratio > 0.2 && ratio < 20 ? ratio : null;
}

async function workerTokens(client: RerankClient): Promise<number | null> {
  const text = await client.metrics();
  return text === null ? null : (readCounters(text).workerPromptTokens ?? null);
}
