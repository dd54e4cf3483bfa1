import { z } from 'zod';

/** Tokens the model read for a request, summed over its pairs (after truncation). */
export const RerankUsageSchema = z.object({
  prompt_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative(),
});
export type RerankUsage = z.infer<typeof RerankUsageSchema>;

/** vLLM's UsageInfo: scoring generates nothing, so `completion_tokens` is always 0. */
export const ScoreUsageSchema = RerankUsageSchema.extend({
  completion_tokens: z.number().int().nonnegative(),
});
export type ScoreUsage = z.infer<typeof ScoreUsageSchema>;
