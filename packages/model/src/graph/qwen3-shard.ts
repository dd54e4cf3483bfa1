import type { Qwen3Config } from '../hf/config';
import { DataType, type GraphBuilder } from './onnx-builder';
import { pastKeyName, pastValueName, presentKeyName, presentValueName } from './kv-names';
import { matMulWeight, type WeightSource } from './linear';
import { projection, projections, type Quantization } from './quantize';
import { rangeLength, type Qwen3ShardPlan } from './qwen3-shard-plan';

/** Weights a rank reads: whole small tensors, and slices of the sharded ones (never all of them). */
export interface ShardWeightSource extends WeightSource {
  /** Elements [start, end) along `axis` (0: rows, 1: columns of a [out, in] linear weight). */
  sliceFloat32(name: string, axis: 0 | 1, start: number, end: number): Float32Array;
}

export interface Qwen3ShardGraphOptions {
  config: Qwen3Config;
  plan: Qwen3ShardPlan;
  weights: ShardWeightSource;
  quantization?: Quantization;
}

/** Input and output names shared by the segment graphs and the shard executor. */
export const SEGMENT_IO = {
  inputIds: 'input_ids',
  /** The residual stream entering a segment, float32: [B, S, H], or [B, H] once cut to the last positions. */
  hidden: 'hidden',
  /** Rotary cos / sin of each position of the batch, float32 [B, S, D/2]. */
  ropeCos: 'rope_cos',
  ropeSin: 'rope_sin',
  /** Flat index b·S + last real position of row b (the last layer's attention only). */
  lastIndex: 'last_index',
  /** This rank's share of a row-parallel projection, float32: summed over the ranks (all-reduce). */
  partial: 'partial',
  logits: 'logits',
} as const;

const norm = (c: Qwen3Config) => ({ axis: -1, epsilon: { float: c.rmsNormEps }, stash_type: 1 });

/**
 * Vocabulary-parallel embedding: this rank's rows of embed_tokens; ids outside its range give
 * zeros, so the sum over the ranks is the embedding, exactly. In: input_ids [B,S]; out: partial [B,S,H].
 */
export function buildEmbeddingSegment(g: GraphBuilder, { config: c, plan, weights: w }: Qwen3ShardGraphOptions): void {
  const H = c.hiddenSize;
  const rows = rangeLength(plan.vocab);
  const ids = g.input(SEGMENT_IO.inputIds, 'int64', ['batch', 'seq']);
  const table = g.weight('embed_tokens', [rows, H], w.sliceFloat32('model.embed_tokens.weight', 0, plan.vocab.start, plan.vocab.end));
  const start = g.int64s('vocab_start', [plan.vocab.start], []);
  const end = g.int64s('vocab_end', [plan.vocab.end], []);
  const inRange = g.op('And', [g.op('GreaterOrEqual', [ids, start]), g.op('Less', [ids, end])]);
  const local = g.op('Where', [inRange, g.op('Sub', [ids, start]), g.int64s('zero', [0], [])]);
  const mask = g.op('Cast', [g.op('Unsqueeze', [inRange, g.int64s('axes_last', [-1])])], { to: DataType[g.computeType] });
  g.alias(g.toFloat32(g.op('Mul', [g.op('Gather', [table, local]), mask])), SEGMENT_IO.partial);
  g.output(SEGMENT_IO.partial, 'float', ['batch', 'seq', H]);
}

/**
 * Attention of one layer on this rank's heads, up to its rows of o_proj. In: hidden [B,S,H],
 * rope_cos / rope_sin [B,S,D/2], past_key_L / past_value_L [1, kvHeads, P, D] (this rank's KV
 * heads; P may be 0), and for the last layer last_index [B]. Out: partial [B,S,H] ([B,H] for
 * the last layer: only the last positions go on), present_key_L / present_value_L.
 */
export function buildAttentionSegment(g: GraphBuilder, { config: c, plan, weights: w, quantization = 'none' }: Qwen3ShardGraphOptions, layer: number): void {
  const H = c.hiddenSize;
  const D = c.headDim;
  const heads = rangeLength(plan.heads);
  const kvHeads = rangeLength(plan.kvHeads);
  const qDim = heads * D;
  const kvDim = kvHeads * D;
  const p = `model.layers.${layer}`;
  const isLast = layer === c.numLayers - 1;

  const hidden = g.input(SEGMENT_IO.hidden, 'float', ['batch', 'seq', H]);
  const cos = g.fromFloat32(g.input(SEGMENT_IO.ropeCos, 'float', ['batch', 'seq', D / 2]));
  const sin = g.fromFloat32(g.input(SEGMENT_IO.ropeSin, 'float', ['batch', 'seq', D / 2]));
  const lastIndex = isLast ? g.input(SEGMENT_IO.lastIndex, 'int64', ['batch']) : null;
  const batchDim = g.op('Slice', [g.op('Shape', [hidden]), g.int64s('dim_0', [0]), g.int64s('dim_1', [1])]);
  const x = g.fromFloat32(hidden);

  const norm1 = g.op('RMSNormalization', [x, g.weight('input_layernorm', [H], w.float32(`${p}.input_layernorm.weight`, [H]))], norm(c));
  const rows = (name: string, range: { start: number; end: number }) => w.sliceFloat32(`${p}.self_attn.${name}.weight`, 0, range.start * D, range.end * D);
  const [q, k, v] = projections(
    g,
    quantization,
    norm1,
    [
      { name: 'q_proj', weight: rows('q_proj', plan.heads), outFeatures: qDim },
      { name: 'k_proj', weight: rows('k_proj', plan.kvHeads), outFeatures: kvDim },
      { name: 'v_proj', weight: rows('v_proj', plan.kvHeads), outFeatures: kvDim },
    ],
    H,
  ) as [string, string, string];
  const qHeadsShape = g.int64s('shape_q_heads', [0, 0, heads, D]);
  const kvHeadsShape = g.int64s('shape_kv_heads', [0, 0, kvHeads, D]);
  const qNorm = g.weight('q_norm', [D], w.float32(`${p}.self_attn.q_norm.weight`, [D]));
  const kNorm = g.weight('k_norm', [D], w.float32(`${p}.self_attn.k_norm.weight`, [D]));
  const toHeads = (t: string) => g.op('Transpose', [t], { perm: [0, 2, 1, 3] });
  // Without position ids, RotaryEmbedding takes the cos / sin of each (row, position) as given.
  const rotate = (t: string) => g.op('RotaryEmbedding', [t, cos, sin]);
  const qh = rotate(toHeads(g.op('RMSNormalization', [g.op('Reshape', [q, qHeadsShape]), qNorm], norm(c))));
  const kh = rotate(toHeads(g.op('RMSNormalization', [g.op('Reshape', [k, kvHeadsShape]), kNorm], norm(c))));
  const vh = toHeads(g.op('Reshape', [v, kvHeadsShape]));
  const pastTail = g.int64s('past_tail', [1, 1, 1]);
  const past = (name: string) => g.op('Expand', [g.fromFloat32(g.input(name, 'float', [1, kvHeads, 'past', D])), g.op('Concat', [batchDim, pastTail], { axis: 0 })]);
  const [attn, presentKey, presentValue] = g.node('Attention', [qh, kh, vh, '', past(pastKeyName(layer)), past(pastValueName(layer))], { is_causal: 1 }, { outputCount: 3 }) as [string, string, string];
  g.alias(g.toFloat32(presentKey), presentKeyName(layer));
  g.alias(g.toFloat32(presentValue), presentValueName(layer));
  g.output(presentKeyName(layer), 'float', ['batch', kvHeads, 'total', D]);
  g.output(presentValueName(layer), 'float', ['batch', kvHeads, 'total', D]);

  let attnOut = g.op('Reshape', [g.op('Transpose', [attn], { perm: [0, 2, 1, 3] }), g.int64s('shape_flat', [0, 0, qDim])]);
  if (lastIndex) attnOut = g.op('Gather', [g.op('Reshape', [attnOut, g.int64s('shape_rows', [-1, qDim])]), lastIndex]);
  // Row-parallel o_proj: this rank's input columns of the weight, the heads it computed.
  const wo = matMulWeight(w.sliceFloat32(`${p}.self_attn.o_proj.weight`, 1, plan.heads.start * D, plan.heads.end * D), H, qDim);
  g.alias(g.toFloat32(projection(g, quantization, attnOut, 'o_proj', wo, qDim, H)), SEGMENT_IO.partial);
  g.output(SEGMENT_IO.partial, 'float', lastIndex ? ['batch', H] : ['batch', 'seq', H]);
}

/**
 * MLP of one layer on this rank's columns of gate/up and rows of down. In: hidden [B,S,H] (the
 * last layer: [B,H]); out: partial of the same shape.
 */
export function buildMlpSegment(g: GraphBuilder, { config: c, plan, weights: w, quantization = 'none' }: Qwen3ShardGraphOptions, layer: number): void {
  const H = c.hiddenSize;
  const I = rangeLength(plan.intermediate);
  const p = `model.layers.${layer}`;
  const dims = layer === c.numLayers - 1 ? ['batch', H] : ['batch', 'seq', H];
  const x = g.fromFloat32(g.input(SEGMENT_IO.hidden, 'float', dims));
  const norm2 = g.op('RMSNormalization', [x, g.weight('post_attention_layernorm', [H], w.float32(`${p}.post_attention_layernorm.weight`, [H]))], norm(c));
  const { start, end } = plan.intermediate;
  const [gate, up] = projections(
    g,
    quantization,
    norm2,
    [
      { name: 'gate_proj', weight: w.sliceFloat32(`${p}.mlp.gate_proj.weight`, 0, start, end), outFeatures: I },
      { name: 'up_proj', weight: w.sliceFloat32(`${p}.mlp.up_proj.weight`, 0, start, end), outFeatures: I },
    ],
    H,
  ) as [string, string];
  const act = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
  const wd = matMulWeight(w.sliceFloat32(`${p}.mlp.down_proj.weight`, 1, start, end), H, I);
  g.alias(g.toFloat32(projection(g, quantization, act, 'down_proj', wd, I, H)), SEGMENT_IO.partial);
  g.output(SEGMENT_IO.partial, 'float', dims);
}

/**
 * The final norm and the few head rows a reranker reads; rank 0 only. In: hidden [B,H] (the
 * residual stream at the last positions after the last layer); out: logits [B,2] (yes, no) or [B,1].
 */
export function buildHeadSegment(g: GraphBuilder, { config: c, weights: w }: Qwen3ShardGraphOptions, headTokenIds: [number, number]): void {
  const H = c.hiddenSize;
  const x = g.fromFloat32(g.input(SEGMENT_IO.hidden, 'float', ['batch', H]));
  const finalNorm = g.op('RMSNormalization', [x, g.weight('model.norm', [H], w.float32('model.norm.weight', [H]))], norm(c));
  const head =
    c.architecture === 'Qwen3ForSequenceClassification'
      ? { weight: matMulWeight(w.float32('score.weight', [1, H]), 1, H), rows: 1 }
      : { weight: matMulWeight(w.rowsFloat32(c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight', headTokenIds), 2, H), rows: 2 };
  g.alias(g.op('MatMul', [g.toFloat32(finalNorm), g.initializer('head', 'float', [H, head.rows], head.weight)]), SEGMENT_IO.logits);
  g.output(SEGMENT_IO.logits, 'float', ['batch', head.rows]);
}
