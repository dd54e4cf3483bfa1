import { z } from 'zod';
import { ScoringOptionsSchema } from './scoring-options';
import { ScoreUsageSchema } from './usage';

const ScoreSideSchema = z.union([z.string(), z.array(z.string())]);

/**
 * `POST /score`, `/v1/score` (vLLM). Each side is a string or a list; one left item is paired with
 * every right item, N left items with N right items. vLLM names the sides three ways: the legacy
 * `text_1`/`text_2`, `queries`/`documents` and `data_1`/`data_2`; a request uses one of them.
 */
export const ScoreRequestSchema = ScoringOptionsSchema.extend({
  text_1: ScoreSideSchema.nullish(),
  text_2: ScoreSideSchema.nullish(),
  queries: ScoreSideSchema.nullish(),
  documents: ScoreSideSchema.nullish(),
  data_1: ScoreSideSchema.nullish(),
  data_2: ScoreSideSchema.nullish(),
});
export type ScoreRequest = z.infer<typeof ScoreRequestSchema>;

export const ScoreDataSchema = z.object({
  index: z.number().int().nonnegative(),
  object: z.literal('score'),
  score: z.number(),
});

/** Scores in the order of the pairs, not sorted. */
export const ScoreResponseSchema = z.object({
  id: z.string(),
  object: z.literal('list'),
  created: z.number().int(),
  model: z.string(),
  data: z.array(ScoreDataSchema),
  usage: ScoreUsageSchema,
});
export type ScoreResponse = z.infer<typeof ScoreResponseSchema>;
