import type { EncoderConfig } from '../hf/config';
import { DataType, type GraphBuilder } from './onnx-builder';
import { matMulWeight, type WeightSource } from './linear';
import { projection, projections, type Quantization } from './quantize';
import { lowestValue } from './precision';

export interface EncoderGraphOptions {
  config: EncoderConfig;
  weights: WeightSource;
  quantization?: Quantization;
}

/**
 * BERT / XLM-R cross-encoder graph. Inputs: `input_ids`, `token_type_ids`, `position_ids` and
 * `attention_mask` (1 for real tokens), all [B,S] int64, right-padded. Output `logits` [B,1]
 * from the classification head on the first token; the last layer computes only that row
 * after attention.
 */
export function buildEncoderGraph(g: GraphBuilder, { config: c, weights: w, quantization = 'none' }: EncoderGraphOptions): void {
  const H = c.hiddenSize;
  const I = c.intermediateSize;
  const D = H / c.numHeads;
  // Layer norms accumulate in float32 whatever the compute dtype (stash_type 1).
  const norm = { axis: -1, epsilon: { float: c.layerNormEps }, stash_type: 1 };
  const root = c.family === 'bert' ? 'bert' : 'roberta';

  const inputIds = g.input('input_ids', 'int64', ['batch', 'seq']);
  const tokenTypeIds = g.input('token_type_ids', 'int64', ['batch', 'seq']);
  const positionIds = g.input('position_ids', 'int64', ['batch', 'seq']);
  const attentionMask = g.input('attention_mask', 'int64', ['batch', 'seq']);

  const vector = (name: string, size: number) => g.weight(name, [size], w.float32(`${name}`, [size]));
  const linear = (input: string, name: string, out: number, inFeatures: number) => {
    const weight = matMulWeight(w.float32(`${name}.weight`, [out, inFeatures]), out, inFeatures);
    return g.op('Add', [projection(g, quantization, input, `${name}.w`, weight, inFeatures, out), vector(`${name}.bias`, out)]);
  };
  const layerNorm = (input: string, name: string) =>
    g.op('LayerNormalization', [input, vector(`${name}.weight`, H), vector(`${name}.bias`, H)], norm);
  const table = (name: string, rows: number) => g.weight(name, [rows, H], w.float32(`${name}`, [rows, H]));

  const e = `${root}.embeddings`;
  const embedded = g.op('Add', [
    g.op('Add', [g.op('Gather', [table(`${e}.word_embeddings.weight`, c.vocabSize), inputIds]), g.op('Gather', [table(`${e}.position_embeddings.weight`, c.maxPositionEmbeddings), positionIds])]),
    g.op('Gather', [table(`${e}.token_type_embeddings.weight`, c.typeVocabSize), tokenTypeIds]),
  ]);
  let x = layerNorm(embedded, `${e}.LayerNorm`);

  // [B,S] → [B,1,S,S] additive mask: 0 where a query may attend (the real keys), the dtype's
  // lowest value on padding keys. (ORT's Attention broadcasts the mask over heads, not over query
  // positions.) Broadcasting [B,1,1,S] + [B,1,S,1] zeros builds it without shape arithmetic,
  // which the CUDA provider would hand to the CPU.
  const realKeys = g.op('Cast', [attentionMask], { to: DataType[g.computeType] });
  const scalar = (name: string, value: number) => g.weight(name, [], Float32Array.of(value));
  const keyBias = g.op('Mul', [g.op('Sub', [realKeys, scalar('mask_one', 1)]), scalar('mask_lowest', -lowestValue(g.dtype))]);
  const rowZeros = g.op('Mul', [realKeys, scalar('mask_zero', 0)]);
  const keyMask = g.op('Add', [g.op('Unsqueeze', [keyBias, g.int64s('key_axes', [1, 2])]), g.op('Unsqueeze', [rowZeros, g.int64s('query_axes', [1, 3])])]);
  const headsShape = g.int64s('shape_heads', [0, 0, c.numHeads, D]);
  const flatShape = g.int64s('shape_flat', [0, 0, H]);
  const first = g.int64s('first_position', [0], []);
  for (let l = 0; l < c.numLayers; l++) {
    const p = `${root}.encoder.layer.${l}`;
    const isLast = l === c.numLayers - 1;
    const a = `${p}.attention.self`;
    const names = ['query', 'key', 'value'];
    const parts = names.map((n) => ({ name: `${a}.${n}.w`, weight: w.float32(`${a}.${n}.weight`, [H, H]), outFeatures: H }));
    const [q, k, v] = projections(g, quantization, x, parts, H).map((t, i) => g.op('Add', [t, vector(`${a}.${names[i]}.bias`, H)])) as [string, string, string];
    const toHeads = (t: string) => g.op('Transpose', [g.op('Reshape', [t, headsShape])], { perm: [0, 2, 1, 3] });
    const attn = g.op('Attention', [toHeads(q), toHeads(k), toHeads(v), keyMask]);
    let context = g.op('Reshape', [g.op('Transpose', [attn], { perm: [0, 2, 1, 3] }), flatShape]);
    if (isLast) {
      // The head reads the first token only.
      context = g.op('Gather', [context, first], { axis: 1 });
      x = g.op('Gather', [x, first], { axis: 1 });
    }
    x = layerNorm(g.op('Add', [linear(context, `${p}.attention.output.dense`, H, H), x]), `${p}.attention.output.LayerNorm`);
    const hidden = g.op('Gelu', [linear(x, `${p}.intermediate.dense`, I, H)]);
    x = layerNorm(g.op('Add', [linear(hidden, `${p}.output.dense`, H, I), x]), `${p}.output.LayerNorm`);
  }
  const logits =
    c.family === 'bert'
      ? linear(g.op('Tanh', [linear(x, 'bert.pooler.dense', H, H)]), 'classifier', 1, H)
      : linear(g.op('Tanh', [linear(x, 'classifier.dense', H, H)]), 'classifier.out_proj', 1, H);
  g.alias(g.toFloat32(logits), 'logits');
  g.output('logits', 'float', ['batch', 1]);
}
