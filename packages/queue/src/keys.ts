import type { WorkLane } from '@rerankd/protocol';

/**
 * Every Redis key and name the queue uses. No other module builds a key string.
 *
 * The model sits inside `{…}`, a Redis Cluster hash tag, so a model's work stream and its
 * dead-letter stream share a slot and can be written in one transaction there too.
 */
const PREFIX = 'rerankd';

/** Stream of work items of one lane waiting for, or held by, the workers of `model`. */
export function workStreamKey(model: string, lane: WorkLane = 'bulk'): string {
  return lane === 'bulk' ? `${PREFIX}:{${model}}:work` : `${PREFIX}:{${model}}:work:${lane}`;
}

/** Every lane, in the order workers favour them. */
export const WORK_LANES: readonly WorkLane[] = ['interactive', 'bulk'];

/** Stream of items that failed every delivery, kept for inspection. */
export function deadLetterStreamKey(model: string): string {
  return `${PREFIX}:{${model}}:dead`;
}

/**
 * Set while the request's client has gone: workers skip its items. In the model's slot, beside
 * the stream its items wait in; it expires with the request's deadline.
 */
export function cancelledRequestKey(model: string, requestId: string): string {
  return `${PREFIX}:{${model}}:cancelled:${requestId}`;
}

/** The one consumer group of every work stream: all workers of a model share its items. */
export const WORKER_GROUP = 'workers';

const REPLY_PREFIX = `${PREFIX}:reply:`;

/** Where results for the gateway `gatewayId` arrive: the `replyTo` of the items it submits. */
export function replyChannel(gatewayId: string): string {
  return `${REPLY_PREFIX}${gatewayId}`;
}

/** Guards workers against writing results anywhere but a reply channel. */
export function isReplyChannel(key: string): boolean {
  return key.startsWith(REPLY_PREFIX) && key.length > REPLY_PREFIX.length;
}

const REGISTRY_PREFIX = `${PREFIX}:worker:`;

/** Heartbeat key of one worker serving one model; it expires unless refreshed. */
export function workerRegistryKey(model: string, workerId: string): string {
  return `${REGISTRY_PREFIX}${model}:${workerId}`;
}

/** SCAN pattern matching every heartbeat key. */
export const WORKER_REGISTRY_PATTERN = `${REGISTRY_PREFIX}*`;
