import { InvalidRequestError } from '@rerankd/protocol';
import type { EncoderConfig, Qwen3Config } from './hf/config';
import { loadHfModel } from './hf/load';
import { resolveModelDir } from './hf/hub';
import { compileGraph } from './graph/compile';
import { OnnxReranker } from './onnx-reranker';
import type { Reranker } from './reranker';
import { ModelRunner } from './runner/model-runner';
import { createSession, type Device } from './runtime/session';
import { DEFAULT_ENCODER_MAX_LENGTH, DEFAULT_QWEN3_MAX_LENGTH, loadPairEncoder, Qwen3PairEncoder, type PairEncoder } from './tokenize';

export interface LoadRerankerOptions {
  /** A model directory or a Hugging Face hub id. */
  model: string;
  /** Longest pair in tokens, like vLLM's --max-model-len. */
  maxModelLen?: number;
  /** Default instruction of a Qwen3 reranker, instead of the model card's. */
  instruction?: string;
  maxBatchSize?: number;
  maxBatchTokens?: number;
  threads?: number;
  device?: Device;
}

export const DEFAULT_MAX_BATCH_SIZE = 32;
/** Padded tokens per run: large enough to keep the MatMuls efficient, small enough to bound memory. */
export const DEFAULT_MAX_BATCH_TOKENS = 16384;

/** Loads a model directory (or hub id), builds its graph and returns a ready reranker. */
export async function loadReranker(options: LoadRerankerOptions): Promise<Reranker> {
  const dir = await resolveModelDir(options.model);
  const { config, weights } = loadHfModel(dir);
  const encoder = await loadEncoder(dir, config, options);
  const headTokenIds: [number, number] | undefined =
    encoder instanceof Qwen3PairEncoder ? [encoder.yesTokenId, encoder.noTokenId] : undefined;
  const graph = compileGraph(config, weights, { maxPositions: encoder.maxLength, ...(headTokenIds ? { headTokenIds } : {}) });
  try {
    const session = await createSession(graph.modelPath, { device: options.device ?? 'cpu', ...(options.threads ? { intraOpThreads: options.threads } : {}) });
    const runner =
      config.family === 'qwen3'
        ? new ModelRunner(session, { kind: 'decoder' }, config.architecture === 'Qwen3ForCausalLM' ? 2 : 1)
        : new ModelRunner(session, { kind: 'encoder', padTokenId: config.padTokenId, firstPosition: firstPosition(config) }, 1);
    return new OnnxReranker(options.model, config, encoder, runner, {
      maxBatchSize: options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE,
      maxBatchTokens: Math.max(options.maxBatchTokens ?? DEFAULT_MAX_BATCH_TOKENS, encoder.maxLength),
    });
  } finally {
    graph.remove();
  }
}

/** XLM-R numbers positions from padding_idx + 1; BERT from 0. */
function firstPosition(config: EncoderConfig): number {
  return config.family === 'xlm-roberta' ? config.padTokenId + 1 : 0;
}

async function loadEncoder(dir: string, config: Qwen3Config | EncoderConfig, options: LoadRerankerOptions): Promise<PairEncoder> {
  if (config.family === 'qwen3') {
    const maxLength = options.maxModelLen ?? Math.min(DEFAULT_QWEN3_MAX_LENGTH, config.maxPositionEmbeddings);
    if (maxLength > config.maxPositionEmbeddings) {
      throw new InvalidRequestError(`--max-model-len ${maxLength} exceeds the model's max_position_embeddings (${config.maxPositionEmbeddings})`);
    }
    return loadPairEncoder(dir, { prompt: 'qwen3', maxLength, ...(options.instruction ? { instruction: options.instruction } : {}) });
  }
  const positions = config.maxPositionEmbeddings - firstPosition(config);
  const maxLength = Math.min(options.maxModelLen ?? DEFAULT_ENCODER_MAX_LENGTH, positions);
  return loadPairEncoder(dir, { prompt: 'encoder', maxLength });
}
