import { z } from 'zod';
import { ScoringOptionsSchema } from './scoring-options';
import { RerankUsageSchema } from './usage';

/** Cohere v1 and Jina accept `{text}` objects beside plain strings. */
export const RerankDocumentSchema = z.union([z.string(), z.object({ text: z.string() })]);
export type RerankDocument = z.infer<typeof RerankDocumentSchema>;

/** `POST /rerank`, `/v1/rerank`, `/v2/rerank`: the vLLM, Jina and Cohere (v1 and v2) request. */
export const RerankRequestSchema = ScoringOptionsSchema.extend({
  query: z.string(),
  documents: z.array(RerankDocumentSchema).min(1),
  /** 0 or absent: every document. */
  top_n: z.number().int().nonnegative().nullish(),
  /** Jina and vLLM return documents unless told not to; Cohere v2 never asks for them. */
  return_documents: z.boolean().nullish(),
});
export type RerankRequest = z.infer<typeof RerankRequestSchema>;

export const RerankResultSchema = z.object({
  index: z.number().int().nonnegative(),
  relevance_score: z.number(),
  /** Absent, never null, when not asked for: strict Cohere clients reject `document: null`. */
  document: z.object({ text: z.string() }).optional(),
});
export type RerankResult = z.infer<typeof RerankResultSchema>;

/** Cohere's `meta`, which its SDKs expose; the API version tells v1 and v2 answers apart. */
export const RerankMetaSchema = z.object({
  api_version: z.object({ version: z.string() }),
  tokens: z.object({ input_tokens: z.number().int().nonnegative() }),
});
export type RerankMeta = z.infer<typeof RerankMetaSchema>;

/** vLLM's RerankResponse (which Jina's matches) plus Cohere's `meta`; results sorted by score. */
export const RerankResponseSchema = z.object({
  id: z.string(),
  model: z.string(),
  usage: RerankUsageSchema,
  results: z.array(RerankResultSchema),
  meta: RerankMetaSchema,
});
export type RerankResponse = z.infer<typeof RerankResponseSchema>;
