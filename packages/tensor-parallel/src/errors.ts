/**
 * A tensor-parallel group can no longer run steps: a rank died, failed a step or left. Not a
 * RerankdError on purpose: the queue treats it as a failed delivery and gives the work item to
 * another worker group instead of failing the request.
 */
export class GroupFailedError extends Error {
  override readonly name = 'GroupFailedError';
}
