import { ModelLoadError } from '@rerankd/protocol';
import { CrossEncoderPairEncoder } from './cross-encoder-pair-encoder';
import type { PairEncoder } from './pair-encoder';
import { Qwen3PairEncoder } from './qwen3-pair-encoder';
import { QWEN3_DEFAULT_INSTRUCTION } from './qwen3-prompt';
import { openTokenizer, readModelMaxLength } from './tokenizer-files';

/** vLLM's --max-model-len for the Qwen3 rerankers in their examples. */
export const DEFAULT_QWEN3_MAX_LENGTH = 8192;
/** The limit of BERT / XLM-R position embeddings, and transformers' truncation length for them. */
export const DEFAULT_ENCODER_MAX_LENGTH = 512;

/** Qwen3ForCausalLM and Qwen3ForSequenceClassification rerankers (one template for both). */
export interface Qwen3PairEncoderSpec {
  prompt: 'qwen3';
  /** Tokens per pair, template included; 8192 when absent. */
  maxLength?: number;
  /** The model's instruction for pairs that bring none; the model card's when absent. */
  instruction?: string;
}

/** BERT and XLM-R cross-encoders. */
export interface CrossEncoderPairEncoderSpec {
  prompt: 'encoder';
  /**
   * Tokens per pair, special tokens included (the config's position limit, say); 512 when absent.
   * tokenizer_config.json's model_max_length lowers it further.
   */
  maxLength?: number;
}

export type PairEncoderSpec = Qwen3PairEncoderSpec | CrossEncoderPairEncoderSpec;

/** Loads the tokenizer of the model in `dir` and the prompt its family reads. */
export function loadPairEncoder(dir: string, spec: Qwen3PairEncoderSpec): Promise<Qwen3PairEncoder>;
export function loadPairEncoder(dir: string, spec: CrossEncoderPairEncoderSpec): Promise<CrossEncoderPairEncoder>;
export function loadPairEncoder(dir: string, spec: PairEncoderSpec): Promise<PairEncoder>;
export async function loadPairEncoder(dir: string, spec: PairEncoderSpec): Promise<PairEncoder> {
  const { tokenizer, file } = openTokenizer(dir);
  if (spec.prompt === 'qwen3') {
    return Qwen3PairEncoder.create(tokenizer, file, {
      maxLength: checkedMaxLength(dir, spec.maxLength ?? DEFAULT_QWEN3_MAX_LENGTH),
      defaultInstruction: spec.instruction ?? QWEN3_DEFAULT_INSTRUCTION,
    });
  }
  const limit = Math.min(spec.maxLength ?? DEFAULT_ENCODER_MAX_LENGTH, readModelMaxLength(dir) ?? Infinity);
  return CrossEncoderPairEncoder.create(tokenizer, file, checkedMaxLength(dir, limit));
}

function checkedMaxLength(dir: string, maxLength: number): number {
  if (!Number.isInteger(maxLength) || maxLength <= 0) {
    throw new ModelLoadError(dir, `the maximum pair length must be a positive integer, not ${maxLength}`);
  }
  return maxLength;
}
