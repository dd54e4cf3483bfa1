import { z } from 'zod';

/** Every error answer, on every route: the OpenAI shape vLLM uses, `code` being the HTTP status. */
export const ErrorBodySchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: z.number().int(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
