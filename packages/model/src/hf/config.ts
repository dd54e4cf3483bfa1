import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ModelLoadError } from '@rerankd/protocol';

/** Precision the checkpoint was saved in (config.json `dtype`, or `torch_dtype` before transformers 5). */
export type ModelDtype = 'float32' | 'float16' | 'bfloat16';

export interface Qwen3Config {
  family: 'qwen3';
  architecture: 'Qwen3ForCausalLM' | 'Qwen3ForSequenceClassification';
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  vocabSize: number;
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  /** Outputs of the score head; a CausalLM reranker yields one relevance logit (yes − no), so 1. */
  numLabels: number;
  dtype: ModelDtype;
}

export interface EncoderConfig {
  family: 'bert' | 'xlm-roberta';
  architecture: 'BertForSequenceClassification' | 'XLMRobertaForSequenceClassification';
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  layerNormEps: number;
  vocabSize: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  padTokenId: number;
  hiddenAct: string;
  numLabels: number;
  dtype: ModelDtype;
}

export type ModelConfig = Qwen3Config | EncoderConfig;
export type Architecture = ModelConfig['architecture'];

export const SUPPORTED_ARCHITECTURES: readonly Architecture[] = [
  'Qwen3ForCausalLM',
  'Qwen3ForSequenceClassification',
  'BertForSequenceClassification',
  'XLMRobertaForSequenceClassification',
];

const positiveInt = z.number().int().positive();
const dtypeField = z.enum(['float32', 'float16', 'bfloat16']);
const ropeScaling = z.looseObject({ rope_type: z.string().optional(), type: z.string().optional() }).nullish();

// Optional fields default to what transformers' config classes use when a key is absent.
const baseFields = {
  architectures: z.array(z.string()).min(1),
  dtype: dtypeField.optional(),
  torch_dtype: dtypeField.optional(),
  num_labels: positiveInt.optional(),
  id2label: z.record(z.string(), z.unknown()).optional(),
};

const qwen3Fields = z.looseObject({
  ...baseFields,
  hidden_size: positiveInt,
  intermediate_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  num_key_value_heads: positiveInt.optional(),
  head_dim: positiveInt.nullish(),
  rms_norm_eps: z.number().positive().default(1e-6),
  vocab_size: positiveInt,
  max_position_embeddings: positiveInt.default(32768),
  tie_word_embeddings: z.boolean().default(false),
  rope_theta: z.number().positive().optional(),
  rope_scaling: ropeScaling,
  rope_parameters: z.looseObject({ rope_theta: z.number().positive().optional(), rope_type: z.string().optional() }).nullish(),
  attention_bias: z.boolean().default(false),
  use_sliding_window: z.boolean().default(false),
});

const encoderFields = z.looseObject({
  ...baseFields,
  hidden_size: positiveInt,
  intermediate_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  layer_norm_eps: z.number().positive().default(1e-12),
  vocab_size: positiveInt,
  max_position_embeddings: positiveInt,
  type_vocab_size: positiveInt.default(2),
  pad_token_id: z.number().int().nonnegative().nullish(),
  hidden_act: z.string().default('gelu'),
  position_embedding_type: z.string().nullish(),
});

/** Reads `dir/config.json` (transformers 4 or 5 style) into the shape the graph builders use. */
export function loadModelConfig(dir: string): ModelConfig {
  const file = join(dir, 'config.json');
  const raw = readConfigJson(file);
  const architecture = pickArchitecture(file, raw);
  return architecture.startsWith('Qwen3')
    ? qwen3Config(file, architecture as Qwen3Config['architecture'], raw)
    : encoderConfig(file, architecture as EncoderConfig['architecture'], raw);
}

function readConfigJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelLoadError(file, code === 'ENOENT' ? 'config.json is missing' : `cannot read config.json (${code ?? String(err)})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ModelLoadError(file, `not valid JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ModelLoadError(file, 'not a JSON object');
  return raw as Record<string, unknown>;
}

function pickArchitecture(file: string, raw: Record<string, unknown>): Architecture {
  const listed = raw.architectures;
  if (!Array.isArray(listed) || typeof listed[0] !== 'string') {
    throw new ModelLoadError(file, `no "architectures" entry; supported: ${SUPPORTED_ARCHITECTURES.join(', ')}`);
  }
  // transformers instantiates the first listed architecture; so do we.
  const name = listed[0];
  if (!(SUPPORTED_ARCHITECTURES as readonly string[]).includes(name)) {
    throw new ModelLoadError(file, `architecture ${name} is not supported; supported: ${SUPPORTED_ARCHITECTURES.join(', ')}`);
  }
  return name as Architecture;
}

function parseFields<T extends z.ZodType>(file: string, schema: T, raw: Record<string, unknown>): z.output<T> {
  const parsed = schema.safeParse(raw, { reportInput: true });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join('.') ?? '?';
  if (issue?.code === 'invalid_type' && issue.input === undefined) throw new ModelLoadError(file, `missing required field "${field}"`);
  throw new ModelLoadError(file, `field "${field}" is invalid: ${issue?.message ?? parsed.error.message}`);
}

type BaseFields = z.output<z.ZodObject<typeof baseFields>>;

function dtypeOf(fields: BaseFields): ModelDtype {
  return fields.dtype ?? fields.torch_dtype ?? 'float32';
}

/** A classification head must have exactly one label: its logit is the relevance score. */
function singleLabel(file: string, fields: BaseFields): number {
  // transformers' PretrainedConfig defaults to 2 labels when neither key is present.
  const numLabels = fields.num_labels ?? (fields.id2label ? Object.keys(fields.id2label).length : 2);
  if (numLabels !== 1) throw new ModelLoadError(file, `num_labels is ${numLabels}; a reranker's classification head must have exactly 1 label`);
  return numLabels;
}

function qwen3Config(file: string, architecture: Qwen3Config['architecture'], raw: Record<string, unknown>): Qwen3Config {
  const f = parseFields(file, qwen3Fields, raw);
  const ropeType = f.rope_parameters?.rope_type ?? f.rope_scaling?.rope_type ?? f.rope_scaling?.type ?? 'default';
  if (ropeType !== 'default') throw new ModelLoadError(file, `rope scaling "${ropeType}" is not supported; only the default RoPE is`);
  if (f.attention_bias) throw new ModelLoadError(file, 'attention_bias: true is not supported for Qwen3');
  if (f.use_sliding_window) throw new ModelLoadError(file, 'use_sliding_window: true is not supported for Qwen3');
  if (f.hidden_size % f.num_attention_heads !== 0 && !f.head_dim) {
    throw new ModelLoadError(file, `hidden_size ${f.hidden_size} is not divisible by num_attention_heads ${f.num_attention_heads} and head_dim is not set`);
  }
  const numKvHeads = f.num_key_value_heads ?? f.num_attention_heads;
  if (f.num_attention_heads % numKvHeads !== 0) {
    throw new ModelLoadError(file, `num_attention_heads ${f.num_attention_heads} is not a multiple of num_key_value_heads ${numKvHeads}`);
  }
  return {
    family: 'qwen3',
    architecture,
    hiddenSize: f.hidden_size,
    intermediateSize: f.intermediate_size,
    numLayers: f.num_hidden_layers,
    numHeads: f.num_attention_heads,
    numKvHeads,
    headDim: f.head_dim ?? f.hidden_size / f.num_attention_heads,
    rmsNormEps: f.rms_norm_eps,
    ropeTheta: f.rope_parameters?.rope_theta ?? f.rope_theta ?? 10000,
    vocabSize: f.vocab_size,
    maxPositionEmbeddings: f.max_position_embeddings,
    tieWordEmbeddings: f.tie_word_embeddings,
    numLabels: architecture === 'Qwen3ForCausalLM' ? 1 : singleLabel(file, f),
    dtype: dtypeOf(f),
  };
}

function encoderConfig(file: string, architecture: EncoderConfig['architecture'], raw: Record<string, unknown>): EncoderConfig {
  const f = parseFields(file, encoderFields, raw);
  const positions = f.position_embedding_type ?? 'absolute';
  if (positions !== 'absolute') throw new ModelLoadError(file, `position_embedding_type "${positions}" is not supported; only "absolute" is`);
  const family = architecture === 'BertForSequenceClassification' ? 'bert' : 'xlm-roberta';
  return {
    family,
    architecture,
    hiddenSize: f.hidden_size,
    intermediateSize: f.intermediate_size,
    numLayers: f.num_hidden_layers,
    numHeads: f.num_attention_heads,
    layerNormEps: f.layer_norm_eps,
    vocabSize: f.vocab_size,
    maxPositionEmbeddings: f.max_position_embeddings,
    typeVocabSize: f.type_vocab_size,
    // BertConfig pads with id 0, XLMRobertaConfig with id 1 (its position ids start after it).
    padTokenId: f.pad_token_id ?? (family === 'bert' ? 0 : 1),
    hiddenAct: f.hidden_act,
    numLabels: singleLabel(file, f),
    dtype: dtypeOf(f),
  };
}
