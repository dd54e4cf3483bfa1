import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelConfig } from '../hf/config';
import { GraphBuilder } from './onnx-builder';
import { buildEncoderGraph } from './encoder';
import type { WeightSource } from './linear';
import type { ComputeDtype } from './precision';
import { buildQwen3Graph } from './qwen3';

/** Opset 23 brings Attention, RotaryEmbedding and RMSNormalization as standard operators. */
const OPSETS = { '': 23 };

export interface CompiledGraph {
  modelPath: string;
  /** Deletes the graph files; safe once a session has loaded them. */
  remove(): void;
}

export interface CompileOptions {
  /** Longest sequence the graph must accept. */
  maxPositions: number;
  /** Qwen3 CausalLM rerankers: the [yes, no] token ids whose lm_head rows are kept. */
  headTokenIds?: [number, number];
  /** Precision of weights and activations; float32 when absent. */
  dtype?: ComputeDtype;
}

/** Builds the ONNX graph of a model from its weights into a temporary directory. */
export function compileGraph(config: ModelConfig, weights: WeightSource, options: CompileOptions): CompiledGraph {
  const dir = mkdtempSync(join(tmpdir(), 'rerankd-graph-'));
  try {
    const builder = new GraphBuilder(join(dir, 'weights.bin'), 'weights.bin', options.dtype ?? 'float32');
    if (config.family === 'qwen3') {
      if (config.architecture === 'Qwen3ForCausalLM' && !options.headTokenIds) {
        throw new Error('a Qwen3 CausalLM reranker graph needs the yes/no token ids');
      }
      buildQwen3Graph(builder, { config, weights, headTokenIds: options.headTokenIds ?? [0, 0], maxPositions: options.maxPositions });
    } else {
      buildEncoderGraph(builder, { config, weights });
    }
    const modelPath = join(dir, 'model.onnx');
    writeFileSync(modelPath, builder.finish(OPSETS, config.architecture));
    return { modelPath, remove: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
