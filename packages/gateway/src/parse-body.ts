import { InvalidRequestError } from '@rerankd/protocol';
import type { z } from 'zod';

/** The body as `schema` reads it, or an InvalidRequestError naming the first bad field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  const param = issue && issue.path.length > 0 ? issue.path.join('.') : null;
  const message = issue?.message ?? 'The request body is invalid.';
  throw new InvalidRequestError(param ? `${param}: ${message}` : message, param);
}
