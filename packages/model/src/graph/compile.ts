import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig } from '../hf/config';
import { isCuda, type Device } from '../runtime/device';
import { GraphBuilder } from './onnx-builder';
import { buildEncoderGraph } from './encoder';
import { makeGraphDir } from './graph-dir';
import type { WeightSource } from './linear';
import type { ComputeDtype } from './precision';
import { buildQwen3Graph } from './qwen3';
import type { Quantization } from './quantize';

/** Opset 23 brings Attention, RotaryEmbedding and RMSNormalization as standard operators. */
const OPSETS = { '': 23 };
/** DynamicQuantizeMatMul lives in ORT's contrib domain. */
const QUANTIZED_OPSETS = { ...OPSETS, 'com.microsoft': 1 };

export interface CompiledGraph {
  modelPath: string;
  /** Shortest input sequence the graph accepts: feeds are right-padded to it. */
  minSequenceLength: number;
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
  /** int8: the projections run as dynamically quantized MatMuls (float32 CPU graphs only). */
  quantization?: Quantization;
  /** Where the graph will run (the CPU when absent): CPU graphs split attention into query chunks. */
  device?: Device;
}

/** Query chunks per attention in CPU Qwen3 graphs: the fastest of 2–8 at 280 and 1,024 tokens (more chunks copy more KV). */
const CPU_ATTENTION_CHUNKS = 4;

/** Builds the ONNX graph of a model from its weights into a temporary directory. */
export function compileGraph(config: ModelConfig, weights: WeightSource, options: CompileOptions): CompiledGraph {
  const { dir, remove } = makeGraphDir('rerankd-graph-');
  try {
    const quantization = options.quantization ?? 'none';
    if (quantization !== 'none' && (options.dtype ?? 'float32') !== 'float32') throw new Error('int8 quantization needs a float32 graph');
    const builder = new GraphBuilder(join(dir, 'weights.bin'), 'weights.bin', options.dtype ?? 'float32');
    // Only CPU Qwen3 graphs chunk attention. CUDA graphs keep one Attention per layer: the chunk
    // bounds are shape arithmetic that ORT places on the CPU, and CUDA sessions refuse nodes off the GPU.
    const attentionChunks = config.family === 'qwen3' && !isCuda(options.device ?? 'cpu') ? CPU_ATTENTION_CHUNKS : 1;
    if (config.family === 'qwen3') {
      if (config.architecture === 'Qwen3ForCausalLM' && !options.headTokenIds) {
        throw new Error('a Qwen3 CausalLM reranker graph needs the yes/no token ids');
      }
      buildQwen3Graph(builder, {
        config,
        weights,
        headTokenIds: options.headTokenIds ?? [0, 0],
        maxPositions: options.maxPositions,
        quantization,
        attentionChunks,
      });
    } else {
      buildEncoderGraph(builder, { config, weights, quantization });
    }
    const modelPath = join(dir, 'model.onnx');
    writeFileSync(modelPath, builder.finish(quantization === 'none' ? OPSETS : QUANTIZED_OPSETS, config.architecture));
    // A graph in query chunks needs at least one token per chunk.
    return { modelPath, minSequenceLength: attentionChunks, remove };
  } catch (error) {
    remove();
    throw error;
  }
}
