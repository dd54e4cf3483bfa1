import { z } from 'zod';

/**
 * Options shared by the rerank and score bodies. Python clients send `null` for options they
 * leave unset, so every option accepts it. Fields outside these schemas are ignored, as vLLM does.
 */
export const ScoringOptionsSchema = z.object({
  model: z.string().nullish(),
  /** Qwen3 rerankers: replaces the model's default instruction for this request. */
  instruction: z.string().nullish(),
  /** true (default): pairs longer than the model's limit are cut; false: such a pair is a 400. */
  truncate: z.boolean().nullish(),
  /**
   * vLLM's and Cohere's truncation limits are accepted so their clients work unchanged; pairs
   * are cut at the model's limit, not at these counts.
   */
  truncate_prompt_tokens: z.number().int().min(-1).nullish(),
  max_tokens_per_doc: z.number().int().nonnegative().nullish(),
  /** vLLM: pairs are cut on the right only. */
  truncation_side: z.literal('right').nullish(),
  /** vLLM: false returns logits instead of probabilities. */
  use_activation: z.boolean().nullish(),
});
export type ScoringOptions = z.infer<typeof ScoringOptionsSchema>;
