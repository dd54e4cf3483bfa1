import { z } from 'zod';

/** One (query, document) pair of a request; `index` is its position in the client's request. */
export const WorkPairSchema = z.object({
  index: z.number().int().nonnegative(),
  query: z.string(),
  document: z.string(),
});
export type WorkPair = z.infer<typeof WorkPairSchema>;

/**
 * Which of a model's queues an item waits in. Items of small requests go to their own lane, which
 * workers read beside the bulk lane, so they never wait behind the items of big requests.
 */
export const WorkLaneSchema = z.enum(['interactive', 'bulk']);
export type WorkLane = z.infer<typeof WorkLaneSchema>;

/** A slice of one request, as it travels through the queue from a gateway to a worker. */
export const WorkItemSchema = z.object({
  itemId: z.string(),
  requestId: z.string(),
  model: z.string(),
  /** Reply channel of the gateway that waits for the result. */
  replyTo: z.string(),
  /** Epoch milliseconds; a worker drops an item whose deadline has passed instead of computing it. */
  deadline: z.number(),
  /** Epoch milliseconds at which the gateway submitted it; workers measure queue wait from it. */
  submittedAt: z.number().optional(),
  instruction: z.string().optional(),
  /** false: a pair longer than the model's limit fails the item instead of being cut. */
  truncate: z.boolean(),
  pairs: z.array(WorkPairSchema).min(1),
  /** 'bulk' when absent. */
  lane: WorkLaneSchema.optional(),
});
export type WorkItem = z.infer<typeof WorkItemSchema>;

export const PairScoreSchema = z.object({
  index: z.number().int().nonnegative(),
  score: z.number(),
  /** Tokens the model read for this pair (after truncation). */
  tokens: z.number().int().nonnegative(),
});
export type PairScore = z.infer<typeof PairScoreSchema>;

export const WorkErrorSchema = z.object({
  kind: z.string(),
  message: z.string(),
});

export const WorkResultSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    itemId: z.string(),
    requestId: z.string(),
    workerId: z.string(),
    scores: z.array(PairScoreSchema),
  }),
  z.object({
    ok: z.literal(false),
    itemId: z.string(),
    requestId: z.string(),
    workerId: z.string(),
    error: WorkErrorSchema,
  }),
]);
export type WorkResult = z.infer<typeof WorkResultSchema>;
