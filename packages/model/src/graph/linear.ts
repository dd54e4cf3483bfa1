/** Where the graph builders read weights from (a model directory's safetensors). */
export interface WeightSource {
  /** The whole tensor as fp32, checked against the expected shape. */
  float32(name: string, expectedShape?: number[]): Float32Array;
  /** Selected rows of a 2-D tensor as fp32 (e.g. the 'yes' and 'no' rows of a 151,669-row head). */
  rowsFloat32(name: string, rows: number[]): Float32Array;
}

/**
 * Hugging Face linear weights are [out, in]; MatMul wants [in, out]. Several projections that
 * read the same input (q/k/v, gate/up) are laid side by side so one MatMul computes them all.
 */
export function fusedMatMulWeight(parts: { data: Float32Array; out: number }[], inFeatures: number): Float32Array {
  const totalOut = parts.reduce((sum, p) => sum + p.out, 0);
  const fused = new Float32Array(inFeatures * totalOut);
  let column = 0;
  for (const { data, out } of parts) {
    // Blocked transpose keeps both reads and writes within cache lines.
    const block = 64;
    for (let o0 = 0; o0 < out; o0 += block) {
      const o1 = Math.min(o0 + block, out);
      for (let i0 = 0; i0 < inFeatures; i0 += block) {
        const i1 = Math.min(i0 + block, inFeatures);
        for (let o = o0; o < o1; o++) {
          const src = o * inFeatures;
          for (let i = i0; i < i1; i++) fused[i * totalOut + column + o] = data[src + i] as number;
        }
      }
    }
    column += out;
  }
  return fused;
}

export function matMulWeight(data: Float32Array, out: number, inFeatures: number): Float32Array {
  return fusedMatMulWeight([{ data, out }], inFeatures);
}
