import { BPE, Tokenizer, type Encoding } from '@anush008/tokenizers';
import { ModelLoadError } from '@rerankd/protocol';
import type { PairInput } from '../reranker';
import type { EncodedPair, PairEncodeOptions, PairEncoder } from './pair-encoder';
import { CUT_MARGIN_TOKENS, cutLongDocument } from './long-document';
import { pairTooLongError } from './too-long-error';

const WITHOUT_ADDED_SPECIAL_TOKENS = { addSpecialTokens: false };

/**
 * BERT / XLM-R cross-encoders: the tokenizer's own pair encoding (`[CLS] A [SEP] B [SEP]`,
 * `<s> A </s></s> B </s>`) with token type ids, truncated 'longest_first' by the Rust tokenizer
 * code that transformers' fast tokenizers run.
 */
export class CrossEncoderPairEncoder implements PairEncoder {
  readonly prompt = 'encoder';

  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly joiner: Tokenizer,
    readonly maxLength: number,
    /** Special tokens the post-processor adds around a pair. */
    private readonly pairSpecialTokens: number,
  ) {}

  /** `file` names the tokenizer's source in load errors. */
  static async create(tokenizer: Tokenizer, file: string, maxLength: number): Promise<CrossEncoderPairEncoder> {
    // Texts are encoded whole: longest_first needs their full lengths (cutting each to the limit
    // first would change which one it treats as the longer).
    tokenizer.disableTruncation();
    tokenizer.disablePadding();
    // The Rust tokenizer truncates pairs and adds special tokens in its post-processing step;
    // a tokenizer with only the post-processor runs that step on encodings made elsewhere.
    // Its defaults are transformers': longest_first, cut at the right, no stride.
    const joiner = new Tokenizer(BPE.empty());
    const postProcessor = tokenizer.getPostProcessor();
    if (postProcessor) joiner.setPostProcessor(postProcessor);
    joiner.setTruncation(maxLength);
    const [empty] = await tokenizer.encodeBatch([''], WITHOUT_ADDED_SPECIAL_TOKENS);
    const specials = joiner.postProcess(empty!, empty!, true).getLength();
    // Below this the Rust code silently stops truncating.
    if (maxLength <= specials) {
      throw new ModelLoadError(file, `a limit of ${maxLength} tokens leaves no room beside a pair's ${specials} special tokens`);
    }
    return new CrossEncoderPairEncoder(tokenizer, joiner, maxLength, specials);
  }

  async encode(pair: PairInput, options?: PairEncodeOptions): Promise<EncodedPair> {
    const [encoded] = await this.encodeBatch([pair], options);
    return encoded!;
  }

  /**
   * The library's batch call takes single texts only, so queries and documents are encoded
   * alone, each distinct text once, and joined into pairs afterwards.
   */
  async encodeBatch(pairs: readonly PairInput[], options: PairEncodeOptions = {}): Promise<EncodedPair[]> {
    const truncate = options.truncate ?? true;
    const texts: string[] = [];
    const slots = new Map<string, number>();
    const slotOf = (text: string): number => {
      let slot = slots.get(text);
      if (slot === undefined) {
        slot = texts.push(text) - 1;
        slots.set(text, slot);
      }
      return slot;
    };
    const cut = pairs.map((pair) => (truncate ? cutLongDocument(pair.document, this.maxLength) : null));
    const pairSlots = pairs.map((pair, i) => [slotOf(pair.query), slotOf(cut[i] ?? pair.document)] as const);
    const encodings = await this.tokenizer.encodeBatch(texts, WITHOUT_ADDED_SPECIAL_TOKENS);
    const documents = pairSlots.map(([, document]) => encodings[document]!);
    // A cut document with too few tokens past the limit is encoded again, whole.
    const redo = documents.flatMap((document, i) => (cut[i] !== null && document.getLength() < this.maxLength + CUT_MARGIN_TOKENS ? [i] : []));
    if (redo.length > 0) {
      const whole = await this.tokenizer.encodeBatch(redo.map((i) => pairs[i]!.document), WITHOUT_ADDED_SPECIAL_TOKENS);
      redo.forEach((i, n) => (documents[i] = whole[n]!));
    }
    return pairSlots.map(([query], i) => this.join(encodings[query]!, documents[i]!, truncate));
  }

  private join(query: Encoding, document: Encoding, truncate: boolean): EncodedPair {
    const length = query.getLength() + document.getLength() + this.pairSpecialTokens;
    const truncated = length > this.maxLength;
    if (truncated && !truncate) throw pairTooLongError(length, this.maxLength);
    // postProcess copies its inputs, so an encoding shared by several pairs stays whole.
    const pair = this.joiner.postProcess(query, document, true);
    return { inputIds: pair.getIds(), tokenTypeIds: pair.getTypeIds(), truncated };
  }
}
