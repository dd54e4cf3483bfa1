/** One pair to score. `instruction` applies to Qwen3 rerankers (their default when absent). */
export interface PairInput {
  query: string;
  document: string;
  instruction?: string;
}

export interface ScoreOptions {
  /** true (default): cut pairs to the model's limit; false: a pair over the limit is an error. */
  truncate?: boolean;
  /** Also return the token ids the model read. */
  emitIds?: boolean;
  /** Epoch milliseconds after which the pairs are dropped instead of scored. */
  deadline?: number;
  /** Aborted when nobody awaits the scores any more: pairs not yet scored are dropped. */
  signal?: AbortSignal;
}

export interface PairOutput {
  /** Probability of relevance in [0, 1]. */
  score: number;
  /** Tokens the model read (after truncation). */
  tokens: number;
  /** Qwen3 CausalLM rerankers. */
  logitYes?: number;
  logitNo?: number;
  /** Classification heads. */
  logit?: number;
  inputIds?: number[];
  tokenTypeIds?: number[];
}

/** A loaded model that scores pairs. */
export interface Reranker {
  readonly modelId: string;
  readonly maxModelLen: number;
  score(pairs: PairInput[], options?: ScoreOptions): Promise<PairOutput[]>;
  close(): Promise<void>;
}
