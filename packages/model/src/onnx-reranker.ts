import { InvalidRequestError } from '@rerankd/protocol';
import type { ModelConfig } from './hf/config';
import type { PairOutput, PairInput, Reranker, ScoreOptions } from './reranker';
import type { ModelRunner, BatchLimits } from './runner/model-runner';
import { planBatches } from './runner/model-runner';
import type { EncodedPair, PairEncoder } from './tokenize';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** A reranker backed by the project's own ONNX graph: tokenize, batch by length, run, score. */
export class OnnxReranker implements Reranker {
  constructor(
    readonly modelId: string,
    readonly config: ModelConfig,
    private readonly encoder: PairEncoder,
    private readonly runner: ModelRunner,
    private readonly limits: BatchLimits,
  ) {}

  get maxModelLen(): number {
    return this.encoder.maxLength;
  }

  async score(pairs: PairInput[], options: ScoreOptions = {}): Promise<PairOutput[]> {
    if (pairs.length === 0) return [];
    const encoded = await this.encoder.encodeBatch(pairs, { truncate: options.truncate ?? true });
    const logits = new Array<Float32Array>(pairs.length);
    for (const batch of planBatches(encoded.map((e) => e.inputIds.length), this.limits)) {
      const rows = await this.runner.run(batch.map((i) => encoded[i] as EncodedPair));
      batch.forEach((pairIndex, row) => (logits[pairIndex] = rows[row] as Float32Array));
    }
    return encoded.map((e, i) => this.output(e, logits[i] as Float32Array, options.emitIds ?? false));
  }

  async close(): Promise<void> {
    await this.runner.close();
  }

  private output(encoded: EncodedPair, logits: Float32Array, emitIds: boolean): PairOutput {
    const out: PairOutput =
      this.runner.logitsPerSequence === 2
        ? { score: sigmoid((logits[0] as number) - (logits[1] as number)), tokens: encoded.inputIds.length, logitYes: logits[0] as number, logitNo: logits[1] as number }
        : { score: sigmoid(logits[0] as number), tokens: encoded.inputIds.length, logit: logits[0] as number };
    if (!Number.isFinite(out.score)) throw new InvalidRequestError('the model produced a non-finite score');
    if (emitIds) {
      out.inputIds = encoded.inputIds;
      if (encoded.tokenTypeIds) out.tokenTypeIds = encoded.tokenTypeIds;
    }
    return out;
  }
}
