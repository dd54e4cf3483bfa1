import type { Qwen3Config } from '../hf/config';
import { DataType, type GraphBuilder } from './onnx-builder';
import { pastKeyName, pastValueName, presentKeyName, presentValueName } from './kv-names';
import { matMulWeight, type WeightSource } from './linear';
import { projection, projections, type Quantization } from './quantize';
import { rotaryTables } from './rope';

export interface Qwen3GraphOptions {
  config: Qwen3Config;
  weights: WeightSource;
  /** Rows of lm_head a CausalLM reranker reads at the last position: [yes, no]. */
  headTokenIds: [number, number];
  /** Longest sequence the graph accepts: sizes the rotary tables. */
  maxPositions: number;
  quantization?: Quantization;
  /**
   * Each attention runs as this many query chunks in a row (1 when absent), each over the
   * keys up to its own end. ORT's CPU kernel computes the whole causal square, masked half
   * included; chunks leave most of that half out (pairs of ~1,100 tokens: int8 19% faster, fp32
   * 6%, see docs/benchmarks.md). Inputs must then be at least this many tokens long (the feeds
   * pad to it).
   */
  attentionChunks?: number;
}

/**
 * Qwen3 reranker graph. Inputs: `input_ids` [B,S], `position_ids` [B,S], `last_index` [B]
 * (flat index b*S + last real position of row b) and per layer `past_key_L` / `past_value_L`
 * [1, kvHeads, P, D]: the KV of a cached prefix that every row continues (P may be 0).
 * Sequences are right-padded: with causal attention, real tokens never see the padding, so no
 * mask is needed. Outputs per layer `present_key_L` / `present_value_L` [B, kvHeads, P+S, D]
 * let a prefix run fill the cache.
 * Output `logits` [B,2] = (yes, no) for a CausalLM, [B,1] for a SequenceClassification head;
 * only the last position goes through the final layer's MLP and the head.
 */
export function buildQwen3Graph(g: GraphBuilder, options: Qwen3GraphOptions): void {
  const { config: c, weights: w } = options;
  const quantization = options.quantization ?? 'none';
  const H = c.hiddenSize;
  const D = c.headDim;
  const qDim = c.numHeads * D;
  const kvDim = c.numKvHeads * D;
  const I = c.intermediateSize;
  // RMS norms accumulate in float32 whatever the compute dtype (stash_type 1).
  const norm = { axis: -1, epsilon: { float: c.rmsNormEps }, stash_type: 1 };

  const inputIds = g.input('input_ids', 'int64', ['batch', 'seq']);
  const positionIds = g.input('position_ids', 'int64', ['batch', 'seq']);
  const lastIndex = g.input('last_index', 'int64', ['batch']);
  // Zeros of shape [B,1,1,1]: adding them repeats a past over the batch, whatever its length,
  // with element-wise ops only (shape arithmetic would run on the CPU under a GPU provider).
  const batchZeros = g.op('Cast', [g.op('Unsqueeze', [g.op('Mul', [lastIndex, g.int64s('zero', [0], [])]), g.int64s('batch_axes', [1, 2, 3])])], { to: DataType[g.computeType] });

  const embed = g.weight('embed_tokens', [c.vocabSize, H], w.float32('model.embed_tokens.weight', [c.vocabSize, H]));
  const { cos, sin } = rotaryTables(D, c.ropeTheta, options.maxPositions);
  const cosCache = g.weight('rope_cos', [options.maxPositions, D / 2], cos);
  const sinCache = g.weight('rope_sin', [options.maxPositions, D / 2], sin);
  const headsShape = (heads: number) => g.int64s(`shape_heads${heads}`, [0, 0, heads, D]);
  const qHeadsShape = headsShape(c.numHeads);
  const kvHeadsShape = c.numKvHeads === c.numHeads ? qHeadsShape : headsShape(c.numKvHeads);
  const qFlatShape = g.int64s('shape_flat', [0, 0, qDim]);
  const kvFlatShape = c.numKvHeads === c.numHeads ? qFlatShape : g.int64s('shape_flat_kv', [0, 0, kvDim]);
  const rowsShape = g.int64s('shape_rows', [-1, H]);
  // q_norm / k_norm are RMS norms over each head's features, applied before the rotation, which
  // like Attention reads [B, S, heads*D] as the projections give it: no transposes (on the CPU
  // about a tenth of an int8 step; on an H200 the served path ran 10% faster without them).
  const normAndRotate = (t: string, heads: number, headsShape: string, flatShape: string, weight: string) =>
    g.op('RotaryEmbedding', [g.op('Reshape', [g.op('RMSNormalization', [g.op('Reshape', [t, headsShape]), weight], norm), flatShape]), cosCache, sinCache, positionIds], { num_heads: heads });

  const chunks = options.attentionChunks ?? 1;
  const sequenceChunks = chunks > 1 ? splitSequence(g, inputIds, chunks) : null;
  const attentionAttributes = { is_causal: 1, q_num_heads: c.numHeads, kv_num_heads: c.numKvHeads };

  let x = g.op('Gather', [embed, inputIds]);
  for (let l = 0; l < c.numLayers; l++) {
    const p = `model.layers.${l}`;
    const isLast = l === c.numLayers - 1;
    const norm1 = g.op('RMSNormalization', [x, g.weight(`${p}.input_layernorm`, [H], w.float32(`${p}.input_layernorm.weight`, [H]))], norm);
    const [q, k, v] = projections(
      g,
      quantization,
      norm1,
      [
        { name: `${p}.q_proj`, weight: w.float32(`${p}.self_attn.q_proj.weight`, [qDim, H]), outFeatures: qDim },
        { name: `${p}.k_proj`, weight: w.float32(`${p}.self_attn.k_proj.weight`, [kvDim, H]), outFeatures: kvDim },
        { name: `${p}.v_proj`, weight: w.float32(`${p}.self_attn.v_proj.weight`, [kvDim, H]), outFeatures: kvDim },
      ],
      H,
    ) as [string, string, string];
    const qNorm = g.weight(`${p}.q_norm`, [D], w.float32(`${p}.self_attn.q_norm.weight`, [D]));
    const kNorm = g.weight(`${p}.k_norm`, [D], w.float32(`${p}.self_attn.k_norm.weight`, [D]));
    const qh = normAndRotate(q, c.numHeads, qHeadsShape, qFlatShape, qNorm);
    const kh = normAndRotate(k, c.numKvHeads, kvHeadsShape, kvFlatShape, kNorm);
    // The past (a cached prefix, [1, kvHeads, past, D], possibly empty) is shared by every row.
    const past = (name: string) => g.op('Add', [g.fromFloat32(g.input(name, 'float', [1, c.numKvHeads, 'past', D])), batchZeros]);
    const [attn, presentKey, presentValue] =
      sequenceChunks
        ? chunkedAttention(g, [qh, kh, v], [past(pastKeyName(l)), past(pastValueName(l))], sequenceChunks, attentionAttributes, qFlatShape)
        : (g.node('Attention', [qh, kh, v, '', past(pastKeyName(l)), past(pastValueName(l))], attentionAttributes, { outputCount: 3 }) as [string, string, string]);
    g.alias(g.toFloat32(presentKey), presentKeyName(l));
    g.alias(g.toFloat32(presentValue), presentValueName(l));
    g.output(presentKeyName(l), 'float', ['batch', c.numKvHeads, 'total', D]);
    g.output(presentValueName(l), 'float', ['batch', c.numKvHeads, 'total', D]);
    // The output is [B, S, heads*D] like the query; present keys and values are [B, kvHeads, P+S, D].
    let attnOut = attn;
    if (isLast) {
      // Only the last real position of each row feeds the head: drop the rest before the MLP.
      attnOut = g.op('Gather', [g.op('Reshape', [attnOut, g.int64s('shape_rows_attn', [-1, qDim])]), lastIndex]);
      x = g.op('Gather', [g.op('Reshape', [x, rowsShape]), lastIndex]);
    }
    const wo = matMulWeight(w.float32(`${p}.self_attn.o_proj.weight`, [H, qDim]), H, qDim);
    x = g.op('Add', [x, projection(g, quantization, attnOut, `${p}.o_proj`, wo, qDim, H)]);

    const norm2 = g.op('RMSNormalization', [x, g.weight(`${p}.post_attention_layernorm`, [H], w.float32(`${p}.post_attention_layernorm.weight`, [H]))], norm);
    const [gate, up] = projections(
      g,
      quantization,
      norm2,
      [
        { name: `${p}.gate_proj`, weight: w.float32(`${p}.mlp.gate_proj.weight`, [I, H]), outFeatures: I },
        { name: `${p}.up_proj`, weight: w.float32(`${p}.mlp.up_proj.weight`, [I, H]), outFeatures: I },
      ],
      H,
    ) as [string, string];
    const act = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
    const wd = matMulWeight(w.float32(`${p}.mlp.down_proj.weight`, [H, I]), H, I);
    x = g.op('Add', [x, projection(g, quantization, act, `${p}.down_proj`, wd, I, H)]);
  }
  const finalNorm = g.op('RMSNormalization', [x, g.weight('model.norm', [H], w.float32('model.norm.weight', [H]))], norm);
  const head = headWeight(options);
  // The head's few rows stay float32: the logits come out in float32 at no cost.
  const logits = g.op('MatMul', [g.toFloat32(finalNorm), g.initializer('head', 'float', [H, head.rows], head.weight)]);
  g.alias(logits, 'logits');
  g.output('logits', 'float', ['batch', head.rows]);
}

/** The few head rows a reranker reads, laid out [H, rows] for MatMul. */
function headWeight({ config: c, weights: w, headTokenIds }: Qwen3GraphOptions): { weight: Float32Array; rows: number } {
  if (c.architecture === 'Qwen3ForSequenceClassification') {
    return { weight: matMulWeight(w.float32('score.weight', [1, c.hiddenSize]), 1, c.hiddenSize), rows: 1 };
  }
  const name = c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  return { weight: matMulWeight(w.rowsFloat32(name, headTokenIds), 2, c.hiddenSize), rows: 2 };
}

/** Where the sequence axis (1) is cut into chunks: bounds [0, n, 2n, …, S]. */
interface SequenceChunks {
  bounds: string[];
  axis: string;
}

/** n = ⌊S / chunks⌋, so no chunk is empty when S ≥ chunks. */
function splitSequence(g: GraphBuilder, inputIds: string, chunks: number): SequenceChunks {
  const length = g.op('Slice', [g.op('Shape', [inputIds]), g.int64s('seq_dim_start', [1]), g.int64s('seq_dim_end', [2])]);
  const chunkLength = g.op('Div', [length, g.int64s('attention_chunks', [chunks])]);
  const inner = Array.from({ length: chunks - 1 }, (_, j) => g.op('Mul', [chunkLength, g.int64s(`attention_chunk_${j + 1}`, [j + 1])]));
  return { bounds: [g.int64s('seq_start', [0]), ...inner, length], axis: g.int64s('seq_axis', [1]) };
}

/**
 * Causal attention of [B, S, heads*D] q/k/v as consecutive query chunks: chunk j continues the
 * present KV of chunk j-1 (the cached past for the first), so each sees exactly the keys up to
 * its own tokens. The last chunk's present KV is the whole layer's. Same results as one node.
 */
function chunkedAttention(
  g: GraphBuilder,
  [q, k, v]: [string, string, string],
  [pastKey, pastValue]: [string, string],
  { bounds, axis }: SequenceChunks,
  attributes: Record<string, number>,
  outputShape: string,
): [string, string, string] {
  const outputs: string[] = [];
  let key = pastKey;
  let value = pastValue;
  for (let j = 0; j + 1 < bounds.length; j++) {
    const chunk = (t: string) => g.op('Slice', [t, bounds[j] as string, bounds[j + 1] as string, axis]);
    const [out, presentKey, presentValue] = g.node('Attention', [chunk(q), chunk(k), chunk(v), '', key, value], attributes, { outputCount: 3 }) as [string, string, string];
    outputs.push(out);
    key = presentKey;
    value = presentValue;
  }
  // The Reshape restates [B, S, heads*D], which ORT's shape inference loses through the Concat.
  return [g.op('Reshape', [g.op('Concat', outputs, { axis: 1 }), outputShape]), key, value];
}
