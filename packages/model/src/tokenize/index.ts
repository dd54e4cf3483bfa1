export { CrossEncoderPairEncoder } from './cross-encoder-pair-encoder';
export {
  DEFAULT_ENCODER_MAX_LENGTH,
  DEFAULT_QWEN3_MAX_LENGTH,
  loadPairEncoder,
  type CrossEncoderPairEncoderSpec,
  type PairEncoderSpec,
  type Qwen3PairEncoderSpec,
} from './load-pair-encoder';
export type { EncodedPair, PairEncodeOptions, PairEncoder, PromptFamily } from './pair-encoder';
export { Qwen3PairEncoder, type Qwen3PairEncoderOptions } from './qwen3-pair-encoder';
export { QWEN3_DEFAULT_INSTRUCTION, QWEN3_PREFIX, QWEN3_SUFFIX } from './qwen3-prompt';
