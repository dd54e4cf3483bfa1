import { z } from 'zod';

/** `GET /version`. */
export const VersionResponseSchema = z.object({ version: z.string() });
export type VersionResponse = z.infer<typeof VersionResponseSchema>;

/** `GET /ready` when it answers 200: the served models that have a live worker. */
export const ReadinessResponseSchema = z.object({
  status: z.literal('ready'),
  models: z.array(z.string()),
});
export type ReadinessResponse = z.infer<typeof ReadinessResponseSchema>;
