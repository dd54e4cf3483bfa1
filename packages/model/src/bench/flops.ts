import type { ModelConfig } from '../hf/config';

/**
 * Floating-point operations a reranker spends on one sequence of `tokens` tokens: the
 * projections (2 per weight per token) and the attention products (causal for Qwen3).
 * The graphs compute the last layer's MLP and the head for one position only; that
 * saving is ignored, so the figure slightly overstates the work (a conservative fraction).
 */
export function sequenceFlops(config: ModelConfig, tokens: number): number {
  const H = config.hiddenSize;
  const I = config.intermediateSize;
  if (config.family === 'qwen3') {
    const q = config.numHeads * config.headDim;
    const kv = config.numKvHeads * config.headDim;
    const projections = H * (q + 2 * kv) + q * H + 3 * H * I;
    // Causal attention: QKᵀ and AV over half the square on average.
    const attention = 2 * 2 * q * ((tokens * (tokens + 1)) / 2);
    return config.numLayers * (2 * projections * tokens + attention);
  }
  const projections = 4 * H * H + 2 * H * I;
  const attention = 2 * 2 * H * tokens * tokens;
  return config.numLayers * (2 * projections * tokens + attention);
}
