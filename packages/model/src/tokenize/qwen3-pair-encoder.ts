import type { Encoding, Tokenizer } from '@anush008/tokenizers';
import { InvalidRequestError, ModelLoadError } from '@rerankd/protocol';
import type { PairInput } from '../reranker';
import type { EncodedPair, PairEncodeOptions, PairEncoder } from './pair-encoder';
import { CUT_MARGIN_TOKENS, cutLongDocument } from './long-document';
import { QWEN3_PREFIX, QWEN3_SUFFIX, qwen3PromptBody, type Qwen3PromptBody } from './qwen3-prompt';
import { pairTooLongError } from './too-long-error';

// Special tokens written in the template (<|im_start|>) are still matched: they are added tokens.
const WITHOUT_ADDED_SPECIAL_TOKENS = { addSpecialTokens: false };

export interface Qwen3PairEncoderOptions {
  maxLength: number;
  /** Instruction of pairs that bring none. */
  defaultInstruction: string;
}

/**
 * Qwen3 reranker prompts: prefix + `<Instruct>/<Query>/<Document>` + suffix, each encoded
 * without added special tokens. Truncation cuts only the end of the document.
 */
export class Qwen3PairEncoder implements PairEncoder {
  readonly prompt = 'qwen3';

  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly prefixIds: number[],
    private readonly suffixIds: number[],
    readonly maxLength: number,
    readonly defaultInstruction: string,
    /** Ids whose logits give the score: sigmoid(logit_yes − logit_no). */
    readonly yesTokenId: number,
    readonly noTokenId: number,
  ) {}

  /** `file` names the tokenizer's source in load errors. */
  static async create(tokenizer: Tokenizer, file: string, options: Qwen3PairEncoderOptions): Promise<Qwen3PairEncoder> {
    // Limits are ours to apply; a tokenizer.json may carry its own truncation or padding.
    tokenizer.disableTruncation();
    tokenizer.disablePadding();
    const yes = requireTokenId(tokenizer, file, 'yes');
    const no = requireTokenId(tokenizer, file, 'no');
    const [prefix, suffix] = await tokenizer.encodeBatch([QWEN3_PREFIX, QWEN3_SUFFIX], WITHOUT_ADDED_SPECIAL_TOKENS);
    return new Qwen3PairEncoder(
      tokenizer,
      prefix!.getIds(),
      suffix!.getIds(),
      options.maxLength,
      options.defaultInstruction,
      yes,
      no,
    );
  }

  async encode(pair: PairInput, options?: PairEncodeOptions): Promise<EncodedPair> {
    const [encoded] = await this.encodeBatch([pair], options);
    return encoded!;
  }

  async encodeBatch(pairs: readonly PairInput[], options: PairEncodeOptions = {}): Promise<EncodedPair[]> {
    const truncate = options.truncate ?? true;
    const cut = pairs.map((pair) => (truncate ? cutLongDocument(pair.document, this.maxLength) : null));
    const encoded = await this.encodeBodies(pairs.map((pair, i) => this.body(pair, cut[i] ?? pair.document)), truncate);
    // A cut that left too few tokens past what is kept: those documents again, whole.
    const redo = encoded.flatMap(({ spare }, i) => (cut[i] !== null && spare < CUT_MARGIN_TOKENS ? [i] : []));
    const whole = await this.encodeBodies(redo.map((i) => this.body(pairs[i]!, pairs[i]!.document)), truncate);
    redo.forEach((i, n) => (encoded[i] = whole[n]!));
    return encoded.map(({ pair }) => pair);
  }

  private body(pair: PairInput, document: string) {
    return qwen3PromptBody(pair.instruction ?? this.defaultInstruction, pair.query, document);
  }

  private async encodeBodies(bodies: Qwen3PromptBody[], truncate: boolean): Promise<{ pair: EncodedPair; spare: number }[]> {
    if (bodies.length === 0) return [];
    const encodings = await this.tokenizer.encodeBatch(
      bodies.map((body) => body.text),
      WITHOUT_ADDED_SPECIAL_TOKENS,
    );
    return encodings.map((encoding, i) => this.assemble(encoding, bodies[i]!.documentSpace, truncate));
  }

  /** The pair, and how many document tokens were left out (negative: how many more would fit). */
  private assemble(body: Encoding, documentSpace: number, truncate: boolean): { pair: EncodedPair; spare: number } {
    const bodyIds = body.getIds();
    // Offsets are in code points, as documentSpace is. The space is always covered by a token:
    // byte-level BPE drops no character.
    const documentStart = body.charToToken(documentSpace);
    if (documentStart === null) throw new Error('the tokenizer produced no token for the space before the document');
    const prefixLength = this.prefixIds.length + documentStart;
    const length = this.prefixIds.length + bodyIds.length + this.suffixIds.length;
    if (length <= this.maxLength) {
      return { pair: { inputIds: this.prefixIds.concat(bodyIds, this.suffixIds), prefixLength, truncated: false }, spare: length - this.maxLength };
    }
    if (!truncate) throw pairTooLongError(length, this.maxLength);
    const fixed = prefixLength + this.suffixIds.length;
    if (fixed > this.maxLength) {
      throw new InvalidRequestError(
        `The prompt without its document takes ${fixed} tokens (template, instruction and query), ` +
          `more than this model's limit of ${this.maxLength} tokens; shorten the query or the instruction.`,
      );
    }
    const kept = bodyIds.slice(0, documentStart + this.maxLength - fixed);
    return { pair: { inputIds: this.prefixIds.concat(kept, this.suffixIds), prefixLength, truncated: true }, spare: length - this.maxLength };
  }
}

function requireTokenId(tokenizer: Tokenizer, file: string, token: string): number {
  const id = tokenizer.tokenToId(token);
  if (id === null) {
    throw new ModelLoadError(file, `the vocabulary has no '${token}' token, which a Qwen3 reranker scores with`);
  }
  return id;
}
