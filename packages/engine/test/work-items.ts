import { KVCacheManager, Scheduler, type RequestInput, type SchedulerOptions } from '../src';

export const FAR_DEADLINE = Number.MAX_SAFE_INTEGER;

export interface WorkItemShape {
  /** Token ids every pair starts with (system prompt, instruction, query); empty for encoders. */
  prefix: readonly number[];
  /** Tokens each pair adds after the prefix (document and template suffix). */
  documentLengths: readonly number[];
  deadline?: number;
}

/**
 * A tokenized work item: pair i is `prefix` followed by documentLengths[i] tokens whose ids
 * (10_000 + 100·i + j) tell the pairs apart.
 */
export function workItem(requestId: string, shape: WorkItemShape): RequestInput {
  return {
    requestId,
    deadline: shape.deadline ?? FAR_DEADLINE,
    pairs: shape.documentLengths.map((length, i) => ({
      pairId: `${requestId}/${i}`,
      tokenIds: [...shape.prefix, ...Array.from({ length }, (_, j) => 10_000 + 100 * i + j)],
      prefixLength: shape.prefix.length,
    })),
  };
}

/** Token ids start, start + 1, … (length of them). */
export function tokenRange(start: number, length: number): number[] {
  return Array.from({ length }, (_, i) => start + i);
}

export interface TestSchedulerOptions extends Partial<Omit<SchedulerOptions, 'kvCacheManager'>> {
  numBlocks?: number;
  blockSize?: number;
}

export function makeScheduler(options: TestSchedulerOptions = {}): { scheduler: Scheduler; kv: KVCacheManager } {
  const { numBlocks = 64, blockSize = 4, ...rest } = options;
  const kv = new KVCacheManager({ numBlocks, blockSize, cacheKey: ['test-model'] });
  // The clock stands at 0 unless a test moves it, so small deadlines are in the future.
  const scheduler = new Scheduler({ kvCacheManager: kv, maxNumBatchedTokens: 1000, maxNumPairs: 64, now: () => 0, ...rest });
  return { scheduler, kv };
}
