import { z } from 'zod';

/** vLLM's ModelPermission, with the values vLLM fills in. */
export const ModelPermissionSchema = z.object({
  id: z.string(),
  object: z.literal('model_permission'),
  created: z.number().int(),
  allow_create_engine: z.boolean(),
  allow_sampling: z.boolean(),
  allow_logprobs: z.boolean(),
  allow_search_indices: z.boolean(),
  allow_view: z.boolean(),
  allow_fine_tuning: z.boolean(),
  organization: z.string(),
  group: z.string().nullable(),
  is_blocking: z.boolean(),
});
export type ModelPermission = z.infer<typeof ModelPermissionSchema>;

export const ModelCardSchema = z.object({
  id: z.string(),
  object: z.literal('model'),
  /** Epoch seconds. */
  created: z.number().int(),
  owned_by: z.string(),
  root: z.string(),
  parent: z.string().nullable(),
  max_model_len: z.number().int().positive(),
  permission: z.array(ModelPermissionSchema),
});
export type ModelCard = z.infer<typeof ModelCardSchema>;

/** `GET /v1/models`. */
export const ModelListSchema = z.object({
  object: z.literal('list'),
  data: z.array(ModelCardSchema),
});
export type ModelList = z.infer<typeof ModelListSchema>;
