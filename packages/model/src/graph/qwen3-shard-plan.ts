import { InvalidRequestError } from '@rerankd/protocol';
import type { ModelConfig, Qwen3Config } from '../hf/config';

/** Elements [start, end) of one axis. */
export interface ShardRange {
  start: number;
  end: number;
}

/**
 * What one rank of a tensor-parallel group holds of a Qwen3 model (Megatron slicing): its query
 * heads (column-parallel q, row-parallel o_proj), the KV heads its query heads read, its columns
 * of gate/up (and rows of down), and its rows of the vocabulary-parallel embedding.
 */
export interface Qwen3ShardPlan {
  size: number;
  rank: number;
  heads: ShardRange;
  /**
   * KV heads of this rank. With more ranks than KV heads, each KV head is replicated on
   * size / numKvHeads ranks, as vLLM does: rank r holds head floor(r · numKvHeads / size).
   */
  kvHeads: ShardRange;
  intermediate: ShardRange;
  vocab: ShardRange;
}

/**
 * Throws a start-up error when `config` cannot be split over `size` ranks: encoder models, or
 * head, KV-head or MLP counts that the size does not divide. `modelName` names the model in it.
 */
export function checkTensorParallel(config: ModelConfig, size: number, modelName: string): void {
  if (!Number.isInteger(size) || size < 1) throw new InvalidRequestError(`tensor parallel size must be a positive integer, got ${size}`);
  if (config.family !== 'qwen3') {
    if (size === 1) return;
    throw new InvalidRequestError(`tensor parallelism is not supported for encoder models (${config.architecture} ${modelName}); run it with --tp 1 and scale with more workers`);
  }
  const { numHeads, numKvHeads, intermediateSize } = config;
  if (numHeads % size !== 0) {
    throw new InvalidRequestError(`tensor parallel size ${size} does not divide the ${numHeads} attention heads of ${modelName}`);
  }
  if (size <= numKvHeads && numKvHeads % size !== 0) {
    throw new InvalidRequestError(`tensor parallel size ${size} does not divide the ${numKvHeads} key-value heads of ${modelName}`);
  }
  if (size > numKvHeads && size % numKvHeads !== 0) {
    throw new InvalidRequestError(`tensor parallel size ${size} is not a multiple of the ${numKvHeads} key-value heads of ${modelName}, so they cannot be replicated evenly`);
  }
  if (intermediateSize % size !== 0) {
    throw new InvalidRequestError(`tensor parallel size ${size} does not divide the MLP size ${intermediateSize} of ${modelName}`);
  }
}

/** The slices of rank `rank` of `size`; call checkTensorParallel first. */
export function planQwen3Shard(config: Qwen3Config, size: number, rank: number): Qwen3ShardPlan {
  if (!Number.isInteger(rank) || rank < 0 || rank >= size) throw new InvalidRequestError(`rank ${rank} is not in a group of ${size}`);
  const { numHeads, numKvHeads, intermediateSize, vocabSize } = config;
  const heads = evenRange(numHeads, size, rank);
  let kvHeads: ShardRange;
  if (size <= numKvHeads) {
    kvHeads = evenRange(numKvHeads, size, rank);
  } else {
    const head = Math.floor((rank * numKvHeads) / size);
    kvHeads = { start: head, end: head + 1 };
  }
  return {
    size,
    rank,
    heads,
    kvHeads,
    intermediate: evenRange(intermediateSize, size, rank),
    // The vocabulary need not divide: ranks take floor-spaced ranges that tile it.
    vocab: { start: Math.floor((rank * vocabSize) / size), end: Math.floor(((rank + 1) * vocabSize) / size) },
  };
}

export function rangeLength(range: ShardRange): number {
  return range.end - range.start;
}

function evenRange(total: number, size: number, rank: number): ShardRange {
  const share = total / size;
  return { start: rank * share, end: (rank + 1) * share };
}
