import type { ModelConfig } from '@rerankd/model';

/**
 * Weights every token of a pair is multiplied through: the transformer layers (projections,
 * MLP, norms, biases). Embeddings are lookups, not products; the head runs once per pair (and
 * a Qwen3 reranker keeps only two rows of it), so neither is counted. A forward pass costs
 * about 2 × this many FLOPs per token, attention scores aside.
 */
export function nonEmbeddingParameters(config: ModelConfig): number {
  const H = config.hiddenSize;
  const I = config.intermediateSize;
  if (config.family === 'qwen3') {
    const q = config.numHeads * config.headDim;
    const kv = config.numKvHeads * config.headDim;
    const attention = H * q + 2 * H * kv + q * H + 2 * config.headDim; // q, k, v, o; q_norm, k_norm
    const mlp = 3 * H * I; // gate, up, down
    return config.numLayers * (attention + mlp + 2 * H) + H; // two RMSNorms per layer; the final norm
  }
  const attention = 4 * (H * H + H); // query, key, value, output dense with biases
  const mlp = H * I + I + I * H + H;
  return config.numLayers * (attention + mlp + 2 * 2 * H); // two LayerNorms (weight, bias) per layer
}
