import { describe } from 'node:test';
import { MemoryWorkQueue } from '../src';
import { workQueueBehaviour } from './work-queue-behaviour';

describe('MemoryWorkQueue', { timeout: 20_000 }, () => {
  workQueueBehaviour({
    open: async (options) => new MemoryWorkQueue(options),
    consumeOptions: { maxDeliveries: 3, batchSize: 4 },
  });
});
