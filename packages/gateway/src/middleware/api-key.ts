import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { AuthenticationError } from '@rerankd/protocol';

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/** The key a client presents: OpenAI and Cohere SDKs send `Authorization: Bearer`, some proxies `x-api-key`. */
function presentedKey(req: Request): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1];
  return bearer?.trim() ?? req.get('x-api-key');
}

/**
 * Rejects requests without one of `apiKeys`, except on `publicPaths`. Digests are compared in
 * constant time so the answer's timing says nothing about how close a guess was.
 */
export function requireApiKey(apiKeys: string[], publicPaths: ReadonlySet<string>): RequestHandler {
  const digests = apiKeys.map(sha256);
  return (req, _res, next) => {
    if (digests.length === 0 || publicPaths.has(req.path)) return next();
    const key = presentedKey(req);
    const presented = key === undefined ? undefined : sha256(key);
    const valid = presented !== undefined && digests.some((digest) => timingSafeEqual(digest, presented));
    next(valid ? undefined : new AuthenticationError());
  };
}
