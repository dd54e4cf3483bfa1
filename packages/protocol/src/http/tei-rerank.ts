import { z } from 'zod';

/** Text Embeddings Inference's `POST /rerank`: `texts` where the other dialects say `documents`. */
export const TeiRerankRequestSchema = z.object({
  query: z.string(),
  texts: z.array(z.string()).min(1),
  /** Absent: cut pairs longer than the model's limit. */
  truncate: z.boolean().nullish(),
  /** Pairs are cut on the right; TEI spells the values either way. */
  truncation_direction: z.enum(['right', 'Right']).nullish(),
  /** true: logits instead of probabilities. */
  raw_scores: z.boolean().nullish(),
  return_text: z.boolean().nullish(),
});
export type TeiRerankRequest = z.infer<typeof TeiRerankRequestSchema>;

export const TeiRankSchema = z.object({
  index: z.number().int().nonnegative(),
  score: z.number(),
  text: z.string().optional(),
});
export type TeiRank = z.infer<typeof TeiRankSchema>;

/** A bare array, sorted by score. */
export const TeiRerankResponseSchema = z.array(TeiRankSchema);
export type TeiRerankResponse = z.infer<typeof TeiRerankResponseSchema>;
