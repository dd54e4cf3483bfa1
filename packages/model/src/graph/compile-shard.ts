import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeGraphDir } from './graph-dir';
import { GraphBuilder } from './onnx-builder';
import type { ComputeDtype } from './precision';
import type { Quantization } from './quantize';
import { buildAttentionSegment, buildEmbeddingSegment, buildHeadSegment, buildMlpSegment, type Qwen3ShardGraphOptions } from './qwen3-shard';

const OPSETS = { '': 23 };
const QUANTIZED_OPSETS = { ...OPSETS, 'com.microsoft': 1 };

/** The graph files of one rank's shard: one per segment between two all-reduces. */
export interface CompiledShard {
  embedding: string;
  attention: string[];
  mlp: string[];
  /** Rank 0 only. */
  head: string | null;
  /** Bytes of the graph files (weights included): what the rank's sessions load. */
  graphBytes: number;
  /** Deletes the files; safe once the sessions have loaded them. */
  remove(): void;
}

export interface CompileShardOptions extends Qwen3ShardGraphOptions {
  dtype?: ComputeDtype;
  /** Rank 0: the [yes, no] token ids of a CausalLM reranker's head (ignored by classifiers). */
  headTokenIds?: [number, number] | null;
}

/** Builds a rank's segment graphs from its slices of the weights into a temporary directory. */
export function compileShard(options: CompileShardOptions): CompiledShard {
  const { dir, remove } = makeGraphDir(`rerankd-shard-${options.plan.rank}-`);
  const quantization: Quantization = options.quantization ?? 'none';
  let graphBytes = 0;
  const build = (name: string, body: (g: GraphBuilder) => void): string => {
    const weightsFile = `${name}.weights.bin`;
    const g = new GraphBuilder(join(dir, weightsFile), weightsFile, options.dtype ?? 'float32');
    body(g);
    const modelPath = join(dir, `${name}.onnx`);
    writeFileSync(modelPath, g.finish(quantization === 'none' ? OPSETS : QUANTIZED_OPSETS, name));
    graphBytes += statSync(modelPath).size + fileSize(join(dir, weightsFile));
    return modelPath;
  };
  try {
    const layers = Array.from({ length: options.config.numLayers }, (_, l) => l);
    const embedding = build('embedding', (g) => buildEmbeddingSegment(g, options));
    const attention = layers.map((l) => build(`attention_${l}`, (g) => buildAttentionSegment(g, options, l)));
    const mlp = layers.map((l) => build(`mlp_${l}`, (g) => buildMlpSegment(g, options, l)));
    const headTokenIds = options.headTokenIds ?? [0, 0];
    const head = options.plan.rank === 0 ? build('head', (g) => buildHeadSegment(g, options, headTokenIds)) : null;
    return { embedding, attention, mlp, head, graphBytes, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // every initializer was small enough to stay inline
  }
}
