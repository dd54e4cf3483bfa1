/** Where the graph builders read weights from (a model directory's safetensors). */
export interface WeightSource {
  /** The whole tensor as fp32, checked against the expected shape. */
  float32(name: string, expectedShape?: number[]): Float32Array;
  /** Selected rows of a 2-D tensor as fp32 (e.g. the 'yes' and 'no' rows of a 151,669-row head). */
  rowsFloat32(name: string, rows: number[]): Float32Array;
}

/** Hugging Face linear weights are [out, in]; MatMul wants [in, out]. */
export function matMulWeight(data: Float32Array, out: number, inFeatures: number): Float32Array {
  const transposed = new Float32Array(inFeatures * out);
  // Blocked transpose keeps both reads and writes within cache lines.
  const block = 64;
  for (let o0 = 0; o0 < out; o0 += block) {
    const o1 = Math.min(o0 + block, out);
    for (let i0 = 0; i0 < inFeatures; i0 += block) {
      const i1 = Math.min(i0 + block, inFeatures);
      for (let o = o0; o < o1; o++) {
        const src = o * inFeatures;
        for (let i = i0; i < i1; i++) transposed[i * out + o] = data[src + i] as number;
      }
    }
  }
  return transposed;
}
