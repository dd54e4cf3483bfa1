export * from './work-queue';
export * from './keys';
export { DEFAULT_CONSUME_OPTIONS, DEFAULT_HEARTBEAT_TTL_MS, DEFAULT_MAX_QUEUE_LENGTH } from './options';
export { RedisWorkQueue, type RedisWorkQueueOptions } from './redis-work-queue';
export { MemoryWorkQueue, type MemoryWorkQueueOptions } from './memory-work-queue';
