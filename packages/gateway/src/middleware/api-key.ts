import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { AuthenticationError } from '@rerankd/protocol';

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * The keys a gateway accepts, replaceable while it runs (a key file reloaded on SIGHUP). Only
 * SHA-256 digests are kept: a key is never stored, printed or compared as itself.
 */
export class ApiKeys {
  private digests: Buffer[] = [];

  /**
   * `enforced`: a key is required even when there are none, so a key file emptied by mistake
   * shuts clients out instead of letting everyone in. Otherwise no keys means no authentication.
   */
  constructor(
    keys: readonly string[] = [],
    readonly enforced = false,
  ) {
    this.replace(keys);
  }

  /** Takes effect for the next request; requests already admitted are not affected. */
  replace(keys: readonly string[]): void {
    this.digests = [...new Set(keys)].map(sha256);
  }

  get size(): number {
    return this.digests.length;
  }

  get required(): boolean {
    return this.enforced || this.digests.length > 0;
  }

  /**
   * Whether `presented` is one of the keys. Digests of equal length are compared in constant
   * time, and against every key without stopping at a match, so the answer's timing says
   * neither how close a guess was nor which key matched.
   */
  accepts(presented: string | undefined): boolean {
    if (presented === undefined) return false;
    const digest = sha256(presented);
    let matched = false;
    for (const known of this.digests) matched = timingSafeEqual(known, digest) || matched;
    return matched;
  }
}

/** The key a client presents: OpenAI and Cohere SDKs send `Authorization: Bearer`, some proxies `x-api-key`. */
function presentedKey(req: Request): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1];
  return bearer?.trim() ?? req.get('x-api-key');
}

/** Rejects requests without an accepted key, except on `publicPaths` (matched exactly). */
export function requireApiKey(keys: ApiKeys, publicPaths: ReadonlySet<string>): RequestHandler {
  return (req, _res, next) => {
    if (!keys.required || publicPaths.has(req.path)) return next();
    next(keys.accepts(presentedKey(req)) ? undefined : new AuthenticationError());
  };
}
