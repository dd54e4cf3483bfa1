import { InvalidRequestError } from '@rerankd/protocol';
import type { Qwen3Config } from '../hf/config';
import { resolveModelDir } from '../hf/hub';
import { loadHfModel } from '../hf/load';
import { compileShard } from '../graph/compile-shard';
import type { ComputeDtype } from '../graph/precision';
import type { Quantization } from '../graph/quantize';
import { checkTensorParallel, planQwen3Shard, type Qwen3ShardPlan } from '../graph/qwen3-shard-plan';
import { rotaryTables } from '../graph/rope';
import { KvBlockStore } from '../kv/kv-block-store';
import type { Device } from '../runtime/device';
import { createSession, type SessionOptions } from '../runtime/session';
import type { Collective } from './collective';
import { ShardExecutor, type CollectiveStats } from './shard-executor';
import type { ShardStep } from './shard-step';
import { CountingShardWeights, type ShardWeightReport } from './shard-weights';

/**
 * What every rank of a tensor-parallel group must agree on. The leader (rank 0) derives it from
 * its options and sends it to the other ranks, so a rank needs only the model and its device.
 */
export interface ShardSpec {
  size: number;
  /** The model directory or hub id the leader loads. */
  model: string;
  /** Names the model's shape (architecture, layers, heads…): ranks refuse a different model. */
  fingerprint: string;
  dtype: ComputeDtype;
  /** Longest sequence: sizes the rotary tables. */
  maxPositions: number;
  numKvBlocks: number;
  kvBlockSize: number;
  quantization: Quantization;
  /** [yes, no] token ids of a CausalLM reranker's head (rank 0 reads their rows); null for classifiers. */
  headTokenIds: [number, number] | null;
}

export interface LoadShardOptions {
  spec: ShardSpec;
  rank: number;
  /** Where this rank finds the model, when not at the leader's path. */
  model?: string;
  device?: Device;
  threads?: number;
}

/** One rank's slices of a model, ready to run the group's steps. */
export interface LoadedShard {
  readonly spec: ShardSpec;
  readonly rank: number;
  readonly config: Qwen3Config;
  readonly plan: Qwen3ShardPlan;
  readonly weights: ShardWeightReport;
  /** Totals of the collective over every step so far. */
  readonly collectiveStats: CollectiveStats;
  /** Rank 0 returns the logits of the step's sequences in `stepSequences` order; other ranks null. */
  execute(step: ShardStep, collective: Collective): Promise<number[][] | null>;
  release(): Promise<void>;
}

/** The shape summary ranks compare: two checkpoints of one architecture and size agree. */
export function modelFingerprint(config: Qwen3Config): string {
  const c = config;
  return `${c.architecture} layers=${c.numLayers} hidden=${c.hiddenSize} heads=${c.numHeads}/${c.numKvHeads}x${c.headDim} mlp=${c.intermediateSize} vocab=${c.vocabSize}`;
}

/**
 * Loads rank `rank`'s shard: reads only its slices of the sharded tensors from the safetensors,
 * builds its segment graphs, opens one session per segment and allocates the KV blocks of its heads.
 */
export async function loadShard(options: LoadShardOptions): Promise<LoadedShard> {
  const { spec, rank } = options;
  const dir = await resolveModelDir(options.model ?? spec.model);
  const { config, weights } = loadHfModel(dir);
  checkTensorParallel(config, spec.size, options.model ?? spec.model);
  if (config.family !== 'qwen3') throw new InvalidRequestError(`tensor-parallel shards are Qwen3 models; ${dir} holds a ${config.architecture}`);
  const fingerprint = modelFingerprint(config);
  if (fingerprint !== spec.fingerprint) {
    throw new InvalidRequestError(`rank ${rank} found a different model at ${dir} (${fingerprint}) than the leader's (${spec.fingerprint})`);
  }
  const plan = planQwen3Shard(config, spec.size, rank);
  const counting = new CountingShardWeights(weights);
  const compiled = compileShard({ config, plan, weights: counting, dtype: spec.dtype, quantization: spec.quantization, headTokenIds: spec.headTokenIds });
  try {
    const sessionOptions: SessionOptions = { device: options.device ?? 'cpu', dtype: spec.dtype, ...(options.threads ? { intraOpThreads: options.threads } : {}) };
    const open = (path: string) => createSession(path, sessionOptions);
    const sessions = {
      embedding: await open(compiled.embedding),
      attention: await Promise.all(compiled.attention.map(open)),
      mlp: await Promise.all(compiled.mlp.map(open)),
      head: compiled.head ? await open(compiled.head) : null,
    };
    const store = new KvBlockStore({
      numLayers: config.numLayers,
      numKvHeads: plan.kvHeads.end - plan.kvHeads.start,
      headDim: config.headDim,
      blockSize: spec.kvBlockSize,
      numBlocks: spec.numKvBlocks,
    });
    const rope = { ...rotaryTables(config.headDim, config.ropeTheta, spec.maxPositions), maxPositions: spec.maxPositions };
    const executor = new ShardExecutor({ config, sessions, store, rope });
    return {
      spec,
      rank,
      config,
      plan,
      weights: counting.report(compiled.graphBytes),
      collectiveStats: executor.collectiveStats,
      execute: (step, collective) => executor.execute(step, collective),
      release: () => executor.release(),
    };
  } finally {
    compiled.remove();
  }
}
