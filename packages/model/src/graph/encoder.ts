import type { EncoderConfig } from '../hf/config';
import type { GraphBuilder } from './onnx-builder';
import { fusedMatMulWeight, matMulWeight, type WeightSource } from './linear';

export interface EncoderGraphOptions {
  config: EncoderConfig;
  weights: WeightSource;
}

/**
 * BERT / XLM-R cross-encoder graph. Inputs: `input_ids`, `token_type_ids`, `position_ids` and
 * `attention_mask` (1 for real tokens), all [B,S] int64, right-padded. Output `logits` [B,1]
 * from the classification head on the first token; the last layer computes only that row
 * after attention.
 */
export function buildEncoderGraph(g: GraphBuilder, { config: c, weights: w }: EncoderGraphOptions): void {
  const H = c.hiddenSize;
  const I = c.intermediateSize;
  const D = H / c.numHeads;
  const eps = { float: c.layerNormEps };
  const root = c.family === 'bert' ? 'bert' : 'roberta';

  const inputIds = g.input('input_ids', 'int64', ['batch', 'seq']);
  const tokenTypeIds = g.input('token_type_ids', 'int64', ['batch', 'seq']);
  const positionIds = g.input('position_ids', 'int64', ['batch', 'seq']);
  const attentionMask = g.input('attention_mask', 'int64', ['batch', 'seq']);

  const vector = (name: string, size: number) => g.floats(name, w.float32(`${name}`, [size]));
  const linear = (input: string, name: string, out: number, inFeatures: number) => {
    const weight = matMulWeight(w.float32(`${name}.weight`, [out, inFeatures]), out, inFeatures);
    return g.op('Add', [g.op('MatMul', [input, g.initializer(`${name}.w`, 'float', [inFeatures, out], weight)]), vector(`${name}.bias`, out)]);
  };
  const layerNorm = (input: string, name: string) =>
    g.op('LayerNormalization', [input, vector(`${name}.weight`, H), vector(`${name}.bias`, H)], { axis: -1, epsilon: eps });
  const table = (name: string, rows: number) => g.initializer(name, 'float', [rows, H], w.float32(`${name}`, [rows, H]));

  const e = `${root}.embeddings`;
  const embedded = g.op('Add', [
    g.op('Add', [g.op('Gather', [table(`${e}.word_embeddings.weight`, c.vocabSize), inputIds]), g.op('Gather', [table(`${e}.position_embeddings.weight`, c.maxPositionEmbeddings), positionIds])]),
    g.op('Gather', [table(`${e}.token_type_embeddings.weight`, c.typeVocabSize), tokenTypeIds]),
  ]);
  let x = layerNorm(embedded, `${e}.LayerNorm`);

  // [B,S] → [B,1,S,S] boolean: every query position may attend to the real keys only.
  // (ORT's Attention broadcasts the mask over heads, not over query positions.)
  const maskShape = g.op('Shape', [attentionMask]);
  const batchDim = g.op('Slice', [maskShape, g.int64s('dim0', [0]), g.int64s('dim1', [1])]);
  const seqDim = g.op('Slice', [maskShape, g.int64s('dim1_start', [1]), g.int64s('dim2', [2])]);
  const squareShape = g.op('Concat', [batchDim, g.int64s('one', [1]), seqDim, seqDim], { axis: 0 });
  const keyMask = g.op('Expand', [g.op('Unsqueeze', [g.op('Cast', [attentionMask], { to: 9 }), g.int64s('mask_axes', [1, 2])]), squareShape]);
  const headsShape = g.int64s('shape_heads', [0, 0, c.numHeads, D]);
  const flatShape = g.int64s('shape_flat', [0, 0, H]);
  const first = g.int64s('first_position', [0], []);
  const split = g.int64s('split_qkv', [H, H, H]);
  for (let l = 0; l < c.numLayers; l++) {
    const p = `${root}.encoder.layer.${l}`;
    const isLast = l === c.numLayers - 1;
    const a = `${p}.attention.self`;
    const wqkv = fusedMatMulWeight(
      ['query', 'key', 'value'].map((n) => ({ data: w.float32(`${a}.${n}.weight`, [H, H]), out: H })),
      H,
    );
    const bqkv = new Float32Array(3 * H);
    ['query', 'key', 'value'].forEach((n, i) => bqkv.set(w.float32(`${a}.${n}.bias`, [H]), i * H));
    const qkv = g.op('Add', [g.op('MatMul', [x, g.initializer(`${a}.qkv`, 'float', [H, 3 * H], wqkv)]), g.floats(`${a}.qkv_bias`, bqkv)]);
    const [q, k, v] = g.node('Split', [qkv, split], { axis: -1 }, { outputCount: 3 }) as [string, string, string];
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
  g.alias(logits, 'logits');
  g.output('logits', 'float', ['batch', 1]);
}
