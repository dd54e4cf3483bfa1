import type { ErrorRequestHandler } from 'express';
import {
  InvalidRequestError,
  PayloadTooLargeError,
  QueueFullError,
  RerankdError,
  type ErrorKind,
} from '@rerankd/protocol';
import type { ErrorBody } from '@rerankd/protocol';
import type { Logger } from './logger';
import { requestIdOf } from './middleware/request-context';

interface HttpMapping {
  status: number;
  type: string;
}

/** The one place that decides a status code. */
const MAPPINGS: Record<ErrorKind, HttpMapping> = {
  invalid_request: { status: 400, type: 'BadRequestError' },
  authentication: { status: 401, type: 'AuthenticationError' },
  not_found: { status: 404, type: 'NotFoundError' },
  payload_too_large: { status: 413, type: 'PayloadTooLargeError' },
  queue_full: { status: 429, type: 'RateLimitError' },
  unavailable: { status: 503, type: 'ServiceUnavailableError' },
  timeout: { status: 504, type: 'GatewayTimeoutError' },
  model_load: { status: 500, type: 'InternalServerError' },
  dead_letter: { status: 500, type: 'InternalServerError' },
  internal: { status: 500, type: 'InternalServerError' },
};

/** Kinds whose messages may carry server internals (paths, stack details): clients get a generic one. */
const PRIVATE_KINDS = new Set<ErrorKind>(['model_load', 'internal']);
const GENERIC_MESSAGE = 'The server failed to process the request.';

export interface HttpError {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
  /** The client got the generic message: the detail belongs in the log. */
  detailHidden: boolean;
}

/** Errors the JSON body parser raises, identified by its `type` field. */
function fromBodyParser(error: unknown, maxBodyBytes: number): RerankdError | null {
  if (typeof error !== 'object' || error === null) return null;
  switch ('type' in error ? error.type : undefined) {
    case 'entity.too.large':
      return new PayloadTooLargeError(`The request body is larger than the limit of ${maxBodyBytes} bytes.`);
    case 'entity.parse.failed':
      return new InvalidRequestError('The request body is not valid JSON.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new InvalidRequestError('The request body must be JSON encoded as UTF-8.');
    case 'request.aborted':
    case 'request.size.invalid':
      return new InvalidRequestError('The request body ended before its Content-Length.');
    default:
      // A body that fails to decompress (Content-Encoding gzip, deflate or br) comes as the
      // zlib error, wrapped as a 400 the client may see, and without a type.
      if ('status' in error && error.status === 400 && 'expose' in error && error.expose === true) {
        return new InvalidRequestError('The request body could not be decoded as its Content-Encoding says.');
      }
      return null;
  }
}

/** Any thrown value, as the status, headers and body to answer with. */
export function toHttpError(error: unknown, maxBodyBytes: number): HttpError {
  const typed = error instanceof RerankdError ? error : fromBodyParser(error, maxBodyBytes);
  const kind: ErrorKind = typed?.kind ?? 'internal';
  const { status, type } = MAPPINGS[kind];
  const headers: Record<string, string> = {};
  if (typed instanceof QueueFullError) headers['Retry-After'] = String(typed.retryAfterSeconds);
  if (kind === 'authentication') headers['WWW-Authenticate'] = 'Bearer';
  const detailHidden = !typed || PRIVATE_KINDS.has(kind);
  const message = detailHidden ? GENERIC_MESSAGE : typed.message;
  return { status, headers, detailHidden, body: { error: { message, type, param: typed?.param ?? null, code: status } } };
}

/** The last handler of the app: every error is answered here, never by Express's HTML page. */
export function errorHandler(logger: Logger, maxBodyBytes: number): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const answer = toHttpError(error, maxBodyBytes);
    // The path without its query string, which is the client's and may hold anything.
    if (answer.detailHidden) logger.error(`${req.method} ${req.path} failed (request ${requestIdOf(res) ?? '-'})`, error);
    if (res.headersSent || req.socket.destroyed) {
      res.end();
      return;
    }
    res.status(answer.status).set(answer.headers).json(answer.body);
  };
}
