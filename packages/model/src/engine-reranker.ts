import { randomUUID } from 'node:crypto';
import { TimeoutError, UnavailableError } from '@rerankd/protocol';
import type { EngineCore, EngineStats, FinishedRequest, StepListener, TokenizedPair } from '@rerankd/engine';
import type { ModelConfig } from './hf/config';
import type { PairInput, PairOutput, Reranker, ScoreOptions } from './reranker';
import type { EncodedPair, PairEncoder } from './tokenize';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * A reranker whose pairs go through the engine: tokenized here, scheduled with every other
 * request's pairs (continuous batching, shared-prefix KV reuse), scored from the logits.
 */
export class EngineReranker implements Reranker {
  constructor(
    readonly modelId: string,
    readonly config: ModelConfig,
    private readonly encoder: PairEncoder,
    private readonly engine: EngineCore,
    /** false: every pair runs whole (the naive baseline, and encoders). */
    private readonly prefixCaching: boolean,
    private readonly onClose: () => Promise<void>,
  ) {}

  get maxModelLen(): number {
    return this.encoder.maxLength;
  }

  get stats(): EngineStats {
    return this.engine.stats;
  }

  /** Observes every engine step (batch sizes, tokens, padding, time), for metrics. */
  onStep(listener: StepListener): () => void {
    return this.engine.onStep(listener);
  }

  async score(pairs: PairInput[], options: ScoreOptions = {}): Promise<PairOutput[]> {
    if (pairs.length === 0) return [];
    const encoded = await this.encoder.encodeBatch(pairs, { truncate: options.truncate ?? true });
    const logits = new Array<readonly number[]>(pairs.length);
    const { signal } = options;
    const requestIds: string[] = [];
    const abort = () => requestIds.forEach((requestId) => this.engine.abort(requestId));
    signal?.addEventListener('abort', abort, { once: true });
    // One engine request per distinct prefix: pairs of one query share their prefix blocks.
    await Promise.all(
      this.groupByPrefix(encoded).map(async (indices) => {
        if (signal?.aborted) throw new UnavailableError('The request was cancelled before it was scored.');
        const requestId = randomUUID();
        requestIds.push(requestId);
        const tokenized: TokenizedPair[] = indices.map((i) => {
          const pair = encoded[i] as EncodedPair;
          return {
            pairId: `${requestId}:${i}`,
            tokenIds: pair.inputIds,
            prefixLength: this.prefixCaching ? (pair.prefixLength ?? 0) : 0,
            ...(pair.tokenTypeIds ? { tokenTypeIds: pair.tokenTypeIds } : {}),
          };
        });
        const finished = await this.engine.addRequest({ requestId, pairs: tokenized, deadline: options.deadline ?? Number.MAX_SAFE_INTEGER });
        const byPair = scoredLogits(finished);
        indices.forEach((i) => (logits[i] = byPair.get(`${requestId}:${i}`) as readonly number[]));
      }),
    ).finally(() => signal?.removeEventListener('abort', abort));
    return encoded.map((e, i) => toOutput(e, logits[i] as readonly number[], options.emitIds ?? false));
  }

  close(): Promise<void> {
    return this.onClose();
  }

  /** Pair indices keyed by their prefix tokens. */
  private groupByPrefix(encoded: EncodedPair[]): number[][] {
    const groups = new Map<string, number[]>();
    encoded.forEach((e, i) => {
      const key = this.prefixCaching ? e.inputIds.slice(0, e.prefixLength ?? 0).join(',') : '';
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    return [...groups.values()];
  }
}

function scoredLogits(finished: FinishedRequest): ReadonlyMap<string, readonly number[]> {
  switch (finished.status) {
    case 'scored':
      return finished.pairLogits;
    case 'expired':
      throw new TimeoutError('The request passed its deadline before it was scored.');
    case 'aborted':
      throw new UnavailableError('The request was aborted: the worker is shutting down.');
    case 'failed':
      // Untyped errors reach the queue as they are: it redelivers the item, then dead-letters it.
      throw finished.error;
  }
}

function toOutput(encoded: EncodedPair, logits: readonly number[], emitIds: boolean): PairOutput {
  const tokens = encoded.inputIds.length;
  const out: PairOutput =
    logits.length === 2
      ? { score: sigmoid((logits[0] as number) - (logits[1] as number)), tokens, logitYes: logits[0] as number, logitNo: logits[1] as number }
      : { score: sigmoid(logits[0] as number), tokens, logit: logits[0] as number };
  if (emitIds) {
    out.inputIds = encoded.inputIds;
    if (encoded.tokenTypeIds) out.tokenTypeIds = encoded.tokenTypeIds;
  }
  return out;
}
