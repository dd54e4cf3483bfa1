import type { ort } from '../runtime/session';
import { buildFeeds, type FeedLayout, type SequenceInput } from './feeds';

/** Runs batches of tokenized sequences through a session and returns each one's logits row. */
export class ModelRunner {
  constructor(
    private readonly session: ort.InferenceSession,
    private readonly layout: FeedLayout,
    /** Logits per sequence: 2 (yes, no) for CausalLM rerankers, 1 for classification heads. */
    readonly logitsPerSequence: number,
  ) {}

  async run(batch: SequenceInput[]): Promise<Float32Array[]> {
    const feeds = buildFeeds(batch, this.layout);
    const outputs = await this.session.run(feeds);
    const logits = outputs.logits?.data as Float32Array;
    const n = this.logitsPerSequence;
    return batch.map((_, b) => logits.slice(b * n, (b + 1) * n));
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

export interface BatchLimits {
  /** Most sequences in one run. */
  maxBatchSize: number;
  /** Most padded tokens (batch × longest) in one run. */
  maxBatchTokens: number;
}

/**
 * Groups sequences of similar length so padding stays small: sorted by length, then cut into
 * runs within the limits. Returns indices into `lengths`.
 */
export function planBatches(lengths: number[], limits: BatchLimits): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => (lengths[a] as number) - (lengths[b] as number));
  const batches: number[][] = [];
  let current: number[] = [];
  for (const index of order) {
    const longest = lengths[index] as number;
    const fits = current.length < limits.maxBatchSize && (current.length + 1) * longest <= limits.maxBatchTokens;
    if (current.length > 0 && !fits) {
      batches.push(current);
      current = [];
    }
    current.push(index);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
