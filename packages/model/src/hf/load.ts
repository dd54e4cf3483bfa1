import { canonicalTensorName, validateWeights } from './architectures';
import { loadModelConfig, type ModelConfig } from './config';
import { ModelWeights } from './weights';

/** A checked Hugging Face model directory: its config, and weights under canonical names. */
export interface HfModel {
  dir: string;
  config: ModelConfig;
  weights: ModelWeights;
}

/**
 * Reads config.json and the safetensors headers of a local model directory and checks that
 * every tensor the architecture needs is there with the right shape; reads no tensor data.
 */
export function loadHfModel(dir: string): HfModel {
  const config = loadModelConfig(dir);
  const weights = ModelWeights.open(dir, { canonicalName: (name) => canonicalTensorName(config, name) });
  validateWeights(weights, config);
  return { dir, config, weights };
}
