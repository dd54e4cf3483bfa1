import type { PairInput } from '../reranker';

/** Which prompt a model reads: the Qwen3 reranker template, or a cross-encoder's own pair encoding. */
export type PromptFamily = 'qwen3' | 'encoder';

/** Token ids of one (query, document) pair, ready for the model. */
export interface EncodedPair {
  inputIds: number[];
  /** Segment ids of a cross-encoder (0 for the query, 1 for the document where the model uses them). */
  tokenTypeIds?: number[];
  /** Qwen3: leading tokens that do not depend on the document, shared by all documents of a query. */
  prefixLength?: number;
  /** Whether tokens were cut to fit the model's limit. */
  truncated: boolean;
}

export interface PairEncodeOptions {
  /** true (default): cut pairs to the model's limit; false: a pair over the limit is an error. */
  truncate?: boolean;
}

/** Turns pairs into the token ids a reranker reads, within its length limit. */
export interface PairEncoder {
  readonly prompt: PromptFamily;
  /** Most tokens one encoded pair may hold, template and special tokens included. */
  readonly maxLength: number;
  encode(pair: PairInput, options?: PairEncodeOptions): Promise<EncodedPair>;
  /** Encodes many pairs with one call into the tokenizer, which spreads the work over its threads. */
  encodeBatch(pairs: readonly PairInput[], options?: PairEncodeOptions): Promise<EncodedPair[]>;
}
