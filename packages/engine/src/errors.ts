import { RerankdError } from '@rerankd/protocol';

/** The executor returned no logits for a pair it was asked to run; the step's requests fail. */
export class MissingLogitsError extends RerankdError {
  constructor(readonly pairId: string) {
    super('internal', `the model executor returned no logits for pair ${pairId}`);
  }
}
