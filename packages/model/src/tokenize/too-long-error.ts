import { InvalidRequestError } from '@rerankd/protocol';

/** A pair longer than the model's limit while truncation is off. */
export function pairTooLongError(length: number, maxLength: number): InvalidRequestError {
  return new InvalidRequestError(
    `The pair comes to ${length} tokens, more than this model's limit of ${maxLength} tokens; ` +
      'shorten it or allow truncation.',
  );
}
