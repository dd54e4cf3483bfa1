import { SeededStream } from '../random';
import { WORDS } from './words';

/**
 * Tokens per word of the generated text under Qwen3's tokenizer, measured on this vocabulary
 * with its sentence punctuation. Other tokenizers differ (a BERT WordPiece vocabulary splits the
 * technical terms further): `calibrateTokensPerWord` measures the ratio through a server.
 */
export const DEFAULT_TOKENS_PER_WORD = 1.11;

export interface TextGeneratorOptions {
  /** Same seed, same texts. Default 0. */
  seed?: number;
  /** Tokens one generated word costs, on average, in the target model's tokenizer. */
  tokensPerWord?: number;
}

/**
 * Deterministic prose for benchmarks: documents of about a given number of tokens and short
 * questions, each named by a key. No state is shared between keys, so a text does not depend on
 * what else was generated before it.
 */
export class TextGenerator {
  readonly seed: number;
  readonly tokensPerWord: number;

  constructor(options: TextGeneratorOptions = {}) {
    this.seed = options.seed ?? 0;
    this.tokensPerWord = options.tokensPerWord ?? DEFAULT_TOKENS_PER_WORD;
    if (!(this.tokensPerWord > 0) || !Number.isFinite(this.tokensPerWord)) {
      throw new RangeError(`tokensPerWord must be a positive number, got ${this.tokensPerWord}`);
    }
  }

  /** The same generator aimed at another tokenizer. */
  withTokensPerWord(tokensPerWord: number): TextGenerator {
    return new TextGenerator({ seed: this.seed, tokensPerWord });
  }

  /** Words a document of `tokens` tokens is made of. */
  wordsFor(tokens: number): number {
    return Math.max(1, Math.round(tokens / this.tokensPerWord));
  }

  /** A document of about `tokens` tokens of the target tokenizer (without the model's template). */
  document(key: string, tokens: number): string {
    return this.words(`doc\0${key}`, this.wordsFor(tokens));
  }

  /** Exactly `count` words in sentences of 6 to 14 words. */
  words(key: string, count: number): string {
    const stream = new SeededStream(this.seed, key);
    const parts: string[] = [];
    let left = stream.int(6, 14);
    for (let i = 0; i < count; i++) {
      const last = i === count - 1 || --left === 0;
      parts.push(last ? `${stream.pick(WORDS)}.` : stream.pick(WORDS));
      if (left === 0) left = stream.int(6, 14);
    }
    return parts.join(' ');
  }

  /** A search question of 5 to 9 words. */
  query(key: string): string {
    const stream = new SeededStream(this.seed, `query\0${key}`);
    const count = stream.int(4, 8);
    return `what ${Array.from({ length: count }, () => stream.pick(WORDS)).join(' ')}?`;
  }
}
