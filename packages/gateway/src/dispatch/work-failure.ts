import {
  DeadLetterError,
  InvalidRequestError,
  NotFoundError,
  PayloadTooLargeError,
  QueueFullError,
  RerankdError,
  TimeoutError,
  UnavailableError,
} from '@rerankd/protocol';

/** A failed item's error, as it crossed the queue, back as the typed error it was. */
export function errorFromWorkFailure(failure: { kind: string; message: string }): RerankdError {
  switch (failure.kind) {
    case 'invalid_request':
      return new InvalidRequestError(failure.message);
    case 'not_found':
      return new NotFoundError(failure.message);
    case 'payload_too_large':
      return new PayloadTooLargeError(failure.message);
    case 'queue_full':
      return new QueueFullError(failure.message);
    case 'unavailable':
      return new UnavailableError(failure.message);
    case 'timeout':
      return new TimeoutError(failure.message);
    case 'dead_letter':
      return new DeadLetterError(failure.message);
    default:
      return new RerankdError('internal', `${failure.kind}: ${failure.message}`);
  }
}
