import type { GraphBuilder } from './onnx-builder';
import { matMulWeight } from './linear';

/** How the projections' weights are stored: as given, or int8 for ORT's dynamic-quantized MatMul. */
export type Quantization = 'none' | 'int8';

/**
 * Symmetric int8 per output column: column j of `weight` [in, out] becomes round(w / s_j) with
 * s_j = max|w_j| / 127, so every column keeps its own range.
 */
export function quantizeColumnsInt8(weight: Float32Array, inFeatures: number, outFeatures: number): { values: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(outFeatures);
  for (let i = 0; i < inFeatures; i++) {
    const row = i * outFeatures;
    for (let j = 0; j < outFeatures; j++) scales[j] = Math.max(scales[j] as number, Math.abs(weight[row + j] as number));
  }
  for (let j = 0; j < outFeatures; j++) scales[j] = (scales[j] as number) / 127 || 1;
  const values = new Int8Array(weight.length);
  for (let i = 0; i < inFeatures; i++) {
    const row = i * outFeatures;
    for (let j = 0; j < outFeatures; j++) values[row + j] = Math.round((weight[row + j] as number) / (scales[j] as number));
  }
  return { values, scales };
}

/**
 * `input` × `weight` ([in, out], float32 values): a MatMul, or with int8 quantization a
 * com.microsoft.DynamicQuantizeMatMul that quantizes the activations per call (about 3× the
 * fp32 MatMul speed on CPUs with VNNI).
 */
export function projection(g: GraphBuilder, quantization: Quantization, input: string, name: string, weight: Float32Array, inFeatures: number, outFeatures: number): string {
  if (quantization === 'none') return g.op('MatMul', [input, g.weight(name, [inFeatures, outFeatures], weight)]);
  const { scale, values } = int8Weight(g, name, weight, inFeatures, outFeatures);
  return g.op('DynamicQuantizeMatMul', [input, values, scale], {}, 'com.microsoft');
}

/** One of several projections of the same input: its name and Hugging Face weight [out, in]. */
export interface ProjectionPart {
  name: string;
  weight: Float32Array;
  outFeatures: number;
}

/**
 * Several projections of one input (q/k/v, gate/up), one output each, each with its own MatMul.
 * A single MatMul over the weights laid side by side would need a Split after it, and that copy
 * costs more than the one bigger GEMM saves (separate MatMuls: fp32 on the CPU +3% pairs/s, int8
 * +8%, fp16 on an H200 +10%; see docs/benchmarks.md). In int8 the activations are quantized once
 * for all parts.
 */
export function projections(g: GraphBuilder, quantization: Quantization, input: string, parts: ProjectionPart[], inFeatures: number): string[] {
  if (quantization === 'none') {
    return parts.map((p) => projection(g, quantization, input, p.name, matMulWeight(p.weight, p.outFeatures, inFeatures), inFeatures, p.outFeatures));
  }
  const [activations, activationScale, activationZeroPoint] = g.node('DynamicQuantizeLinear', [input], {}, { outputCount: 3 }) as [string, string, string];
  return parts.map((p) => {
    const { scale, values } = int8Weight(g, p.name, matMulWeight(p.weight, p.outFeatures, inFeatures), inFeatures, p.outFeatures);
    return g.op('MatMulIntegerToFloat', [activations, values, activationScale, scale, activationZeroPoint], {}, 'com.microsoft');
  });
}

/** The int8 values and per-column scales of a [in, out] weight, as initializers. */
function int8Weight(g: GraphBuilder, name: string, weight: Float32Array, inFeatures: number, outFeatures: number): { values: string; scale: string } {
  const { values, scales } = quantizeColumnsInt8(weight, inFeatures, outFeatures);
  return {
    values: g.initializer(`${name}.int8`, 'int8', [inFeatures, outFeatures], values),
    scale: g.initializer(`${name}.scale`, 'float', [outFeatures], scales),
  };
}
