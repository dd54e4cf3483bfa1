/**
 * Typed errors shared by every package. Each kind maps to one HTTP status in the gateway's
 * error mapper; nothing else decides a status code.
 */
export type ErrorKind =
  | 'invalid_request'
  | 'authentication'
  | 'not_found'
  | 'payload_too_large'
  | 'queue_full'
  | 'unavailable'
  | 'timeout'
  | 'model_load'
  | 'dead_letter'
  | 'internal';

export class RerankdError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidRequestError extends RerankdError {
  constructor(message: string, param: string | null = null) {
    super('invalid_request', message, param);
  }
}
export class AuthenticationError extends RerankdError {
  constructor(message = 'Invalid or missing API key.') {
    super('authentication', message);
  }
}
export class NotFoundError extends RerankdError {
  constructor(message: string, param: string | null = null) {
    super('not_found', message, param);
  }
}
export class PayloadTooLargeError extends RerankdError {
  constructor(message: string) {
    super('payload_too_large', message);
  }
}
export class QueueFullError extends RerankdError {
  constructor(message: string, readonly retryAfterSeconds = 1) {
    super('queue_full', message);
  }
}
export class UnavailableError extends RerankdError {
  constructor(message: string) {
    super('unavailable', message);
  }
}
export class TimeoutError extends RerankdError {
  constructor(message: string) {
    super('timeout', message);
  }
}
/** A work item that failed on every delivery and was moved to the dead-letter stream. */
export class DeadLetterError extends RerankdError {
  constructor(message: string) {
    super('dead_letter', message);
  }
}
/** A model directory that cannot be served: names the file and what is wrong with it. */
export class ModelLoadError extends RerankdError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super('model_load', `${file}: ${problem}`);
  }
}
/** The device a model was asked to run on cannot run it (no CUDA provider, no GPU, a dtype it lacks). */
export class DeviceError extends RerankdError {
  constructor(
    readonly device: string,
    readonly problem: string,
  ) {
    super('model_load', `${device}: ${problem}`);
  }
}
