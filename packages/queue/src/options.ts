import type { ConsumeOptions } from './work-queue';

/** Items waiting or in progress per model at which submit rejects with QueueFullError. */
export const DEFAULT_MAX_QUEUE_LENGTH = 10_000;

/** How long a worker stays listed without a heartbeat. */
export const DEFAULT_HEARTBEAT_TTL_MS = 15_000;

export const DEFAULT_CONSUME_OPTIONS: Readonly<Required<ConsumeOptions>> = {
  reclaimIdleMs: 30_000,
  maxDeliveries: 3,
  batchSize: 8,
};

/** The options a consumer runs with: the caller's, the defaults for the rest. */
export function resolveConsumeOptions(options: ConsumeOptions = {}): Required<ConsumeOptions> {
  const resolved = { ...DEFAULT_CONSUME_OPTIONS, ...options };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return resolved;
}
