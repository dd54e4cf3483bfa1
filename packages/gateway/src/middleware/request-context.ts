import type { RequestHandler, Response } from 'express';

/** What the gateway knows about one HTTP request beyond Express's own. */
export interface RequestContext {
  /** The client's `X-Request-Id` when it is well-formed, else one made here; echoed in the answer. */
  id: string;
  /** Aborted when the client closes the connection before its answer is complete. */
  clientGone: AbortSignal;
}

export const REQUEST_ID_HEADER = 'X-Request-Id';
/** Ids proxies and clients make (UUIDs, hex, base64) fit; anything else is replaced, never echoed. */
const WELL_FORMED_ID = /^[A-Za-z0-9._:+=/-]{1,128}$/;

const contexts = new WeakMap<Response, RequestContext>();

/**
 * Gives every request an id and a signal for its client leaving. The id names the request in
 * the `X-Request-Id` answer header, the answer's `id` and the log.
 */
export function requestContext(newId: () => string): RequestHandler {
  return (req, res, next) => {
    const offered = req.get(REQUEST_ID_HEADER);
    const id = offered !== undefined && WELL_FORMED_ID.test(offered) ? offered : newId();
    const gone = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    contexts.set(res, { id, clientGone: gone.signal });
    res.setHeader(REQUEST_ID_HEADER, id);
    next();
  };
}

/** The context `requestContext` gave this answer's request. */
export function requestContextOf(res: Response): RequestContext {
  const context = contexts.get(res);
  if (!context) throw new Error('requestContext() must run before the routes');
  return context;
}

/** The request id, where there may be none (an error raised before requestContext ran). */
export function requestIdOf(res: Response): string | undefined {
  return contexts.get(res)?.id;
}
