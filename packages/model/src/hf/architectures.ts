import { ModelLoadError } from '@rerankd/protocol';
import type { EncoderConfig, ModelConfig, Qwen3Config } from './config';
import { isFloatDtype } from './float-decode';
import { formatShape, type ModelWeights } from './weights';

/** Every tensor an architecture reads, by canonical name, with its shape. */
export function expectedTensors(config: ModelConfig): Map<string, number[]> {
  return config.family === 'qwen3' ? qwen3Tensors(config) : encoderTensors(config);
}

/** The vocabulary projection of a Qwen3 CausalLM: tied checkpoints reuse the input embedding. */
export function lmHeadWeightName(config: Qwen3Config): string {
  return config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
}

/** Prefix of the encoder's own weights in BERT and XLM-R checkpoints. */
export function encoderPrefix(config: EncoderConfig): 'bert' | 'roberta' {
  return config.family === 'bert' ? 'bert' : 'roberta';
}

/**
 * Maps the name variants real checkpoints carry to the names `expectedTensors` uses: encoder
 * weights saved without their `model.`/`bert.`/`roberta.` prefix (a bare base model), and the
 * `LayerNorm.gamma/beta` of checkpoints converted from TensorFlow.
 */
export function canonicalTensorName(config: ModelConfig, stored: string): string {
  const name = stored.replace(/\.LayerNorm\.gamma$/, '.LayerNorm.weight').replace(/\.LayerNorm\.beta$/, '.LayerNorm.bias');
  if (config.family === 'qwen3') {
    return /^(layers\.|embed_tokens\.|norm\.)/.test(name) ? `model.${name}` : name;
  }
  return /^(embeddings|encoder|pooler)\./.test(name) ? `${encoderPrefix(config)}.${name}` : name;
}

/** Checks that every tensor the architecture needs is present, floating point and of the right shape. */
export function validateWeights(weights: ModelWeights, config: ModelConfig): void {
  for (const [name, shape] of expectedTensors(config)) {
    if (!weights.has(name)) throw new ModelLoadError(weights.source, `missing tensor ${name}`);
    const info = weights.info(name);
    if (!isFloatDtype(info.dtype)) {
      throw new ModelLoadError(info.file, `tensor ${info.storedName} has dtype ${info.dtype}, expected a float dtype (F32, F16 or BF16)`);
    }
    if (formatShape(info.shape) !== formatShape(shape)) {
      throw new ModelLoadError(info.file, `tensor ${info.storedName} has shape ${formatShape(info.shape)}, expected ${formatShape(shape)}`);
    }
  }
}

function qwen3Tensors(c: Qwen3Config): Map<string, number[]> {
  const h = c.hiddenSize;
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const tensors = new Map<string, number[]>([['model.embed_tokens.weight', [c.vocabSize, h]]]);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}`;
    tensors.set(`${p}.input_layernorm.weight`, [h]);
    tensors.set(`${p}.self_attn.q_proj.weight`, [qDim, h]);
    tensors.set(`${p}.self_attn.k_proj.weight`, [kvDim, h]);
    tensors.set(`${p}.self_attn.v_proj.weight`, [kvDim, h]);
    tensors.set(`${p}.self_attn.o_proj.weight`, [h, qDim]);
    tensors.set(`${p}.self_attn.q_norm.weight`, [c.headDim]);
    tensors.set(`${p}.self_attn.k_norm.weight`, [c.headDim]);
    tensors.set(`${p}.post_attention_layernorm.weight`, [h]);
    tensors.set(`${p}.mlp.gate_proj.weight`, [c.intermediateSize, h]);
    tensors.set(`${p}.mlp.up_proj.weight`, [c.intermediateSize, h]);
    tensors.set(`${p}.mlp.down_proj.weight`, [h, c.intermediateSize]);
  }
  tensors.set('model.norm.weight', [h]);
  if (c.architecture === 'Qwen3ForSequenceClassification') tensors.set('score.weight', [c.numLabels, h]);
  else if (!c.tieWordEmbeddings) tensors.set('lm_head.weight', [c.vocabSize, h]);
  return tensors;
}

function encoderTensors(c: EncoderConfig): Map<string, number[]> {
  const h = c.hiddenSize;
  const prefix = encoderPrefix(c);
  const tensors = new Map<string, number[]>();
  const linear = (name: string, out: number, inp: number) => {
    tensors.set(`${name}.weight`, [out, inp]);
    tensors.set(`${name}.bias`, [out]);
  };
  const layerNorm = (name: string) => {
    tensors.set(`${name}.weight`, [h]);
    tensors.set(`${name}.bias`, [h]);
  };
  tensors.set(`${prefix}.embeddings.word_embeddings.weight`, [c.vocabSize, h]);
  tensors.set(`${prefix}.embeddings.position_embeddings.weight`, [c.maxPositionEmbeddings, h]);
  tensors.set(`${prefix}.embeddings.token_type_embeddings.weight`, [c.typeVocabSize, h]);
  layerNorm(`${prefix}.embeddings.LayerNorm`);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `${prefix}.encoder.layer.${i}`;
    linear(`${p}.attention.self.query`, h, h);
    linear(`${p}.attention.self.key`, h, h);
    linear(`${p}.attention.self.value`, h, h);
    linear(`${p}.attention.output.dense`, h, h);
    layerNorm(`${p}.attention.output.LayerNorm`);
    linear(`${p}.intermediate.dense`, c.intermediateSize, h);
    linear(`${p}.output.dense`, h, c.intermediateSize);
    layerNorm(`${p}.output.LayerNorm`);
  }
  if (c.family === 'bert') {
    // BERT classifies the pooled [CLS] vector; XLM-R's head has its own dense layer instead.
    linear('bert.pooler.dense', h, h);
    linear('classifier', c.numLabels, h);
  } else {
    linear('classifier.dense', h, h);
    linear('classifier.out_proj', c.numLabels, h);
  }
  return tensors;
}
