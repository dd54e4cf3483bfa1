import { InvalidRequestError } from '@rerankd/protocol';
import type { ModelExecutor } from '@rerankd/engine';
import type { EncoderConfig, Qwen3Config } from './hf/config';
import { loadHfModel } from './hf/load';
import { resolveModelDir } from './hf/hub';
import { compileGraph } from './graph/compile';
import { EngineReranker } from './engine-reranker';
import type { Reranker } from './reranker';
import { ThreadedExecutor } from './runner/threaded-executor';
import type { FeedLayout } from './runner/feeds';
import { EngineCore, KVCacheManager, Scheduler, kvCacheBytesPerBlock, numBlocksForMemory, type EngineStats, type StepListener } from '@rerankd/engine';
import type { ComputeDtype, DtypeChoice } from './graph/precision';
import type { Quantization } from './graph/quantize';
import { isCuda, type Device } from './runtime/device';
import { resolveComputeDtype } from './runtime/dtype';
import { checkTensorParallel, planQwen3Shard } from './graph/qwen3-shard-plan';
import { loadShard, modelFingerprint, type LoadedShard, type ShardSpec } from './runner/load-shard';
import { checkDevice, executionInfo, type ExecutionInfo, type SessionOptions } from './runtime/session';
import { DEFAULT_ENCODER_MAX_LENGTH, DEFAULT_QWEN3_MAX_LENGTH, loadPairEncoder, Qwen3PairEncoder, type PairEncoder } from './tokenize';

export interface LoadRerankerOptions {
  /** A model directory or a Hugging Face hub id. */
  model: string;
  /** Longest pair in tokens, like vLLM's --max-model-len. */
  maxModelLen?: number;
  /** Default instruction of a Qwen3 reranker, instead of the model card's. */
  instruction?: string;
  /** Most pairs in one engine step (vLLM's --max-num-seqs); 1 runs one pair per model run. */
  maxNumPairs?: number;
  /** Most tokens computed in one engine step (vLLM's --max-num-batched-tokens); at least the longest pair. */
  maxNumBatchedTokens?: number;
  /** Reuse the KV of a query's shared prefix across its documents and later requests (default on). */
  prefixCaching?: boolean;
  /** KV-cache pool size in bytes (default 512 MiB), or in blocks of 16 tokens. */
  kvCacheMemory?: number;
  numKvBlocks?: number;
  /** int8: weights quantized per column for the CPU's integer MatMul (float32 on the CPU only). */
  quantization?: Quantization;
  threads?: number;
  /** cpu (default) or cuda:N. */
  device?: Device;
  /** auto (default): the checkpoint's dtype on CUDA, float32 on the CPU. */
  dtype?: DtypeChoice;
  /** Device checks only: see SessionOptions (CPU fallback on CUDA; ORT's per-node profile). */
  allowCpuFallback?: boolean;
  profilePrefix?: string;
  /** Run the model split over a tensor-parallel group (Qwen3 only); this process is rank 0. */
  tensorParallel?: TensorParallelOptions;
}

/** The executor of a tensor-parallel group, through which rank 0's engine runs its steps. */
export interface GroupExecutor extends ModelExecutor {
  /** Settles with the reason once the group can no longer run steps (a rank died or left). */
  readonly failure: Promise<Error>;
  /** Ends the group's session and releases rank 0's shard. */
  close(): Promise<void>;
}

export interface TensorParallelOptions {
  /** Ranks in the group; 1 runs the model whole in this process. */
  size: number;
  /**
   * Starts or joins ranks 1..size-1 with `spec` and returns the group's executor around rank 0's
   * shard, which `loadLead` loads in this process (best called while the other ranks load theirs).
   */
  connect(spec: ShardSpec, loadLead: () => Promise<LoadedShard>): Promise<GroupExecutor>;
}

/** A loaded reranker and what it runs on, which workers report at start-up. */
export interface LoadedReranker extends Reranker {
  readonly execution: ExecutionInfo;
  /** The engine's counters as of its last step: KV usage, prefix-cache hits, step sizes. */
  readonly stats: EngineStats;
  onStep(listener: StepListener): () => void;
  /** Tensor parallelism: settles with the reason once the group can no longer score. */
  readonly failure?: Promise<Error>;
}

export const DEFAULT_MAX_NUM_PAIRS = 64;
/**
 * Tokens per step: enough to keep the MatMuls busy, few enough that a step stays short. On the
 * CPU one pair of a few hundred tokens already fills them and larger batches only got slower
 * (attention scores spill out of the caches); a GPU wants tens of pairs at once. See
 * docs/benchmarks.md.
 */
export const DEFAULT_MAX_NUM_BATCHED_TOKENS = { cpu: 1024, cuda: 24_576 } as const;

export function defaultMaxNumBatchedTokens(device: Device): number {
  return isCuda(device) ? DEFAULT_MAX_NUM_BATCHED_TOKENS.cuda : DEFAULT_MAX_NUM_BATCHED_TOKENS.cpu;
}
export const DEFAULT_KV_CACHE_MEMORY = 512 * 2 ** 20;
const KV_BLOCK_SIZE = 16;

/** Loads a model directory (or hub id), builds its graph and returns a ready reranker. */
export async function loadReranker(options: LoadRerankerOptions): Promise<LoadedReranker> {
  const dir = await resolveModelDir(options.model);
  const { config, weights } = loadHfModel(dir);
  const device = options.device ?? 'cpu';
  // Before anything is built: a device that cannot run the dtype fails fast.
  const dtype = resolveComputeDtype(options.dtype ?? 'auto', config.dtype, device);
  const tensorParallel = options.tensorParallel && options.tensorParallel.size > 1 ? options.tensorParallel : null;
  if (tensorParallel) checkTensorParallel(config, tensorParallel.size, options.model);
  checkDevice(device);
  const encoder = await loadEncoder(dir, config, options);
  const headTokenIds: [number, number] | undefined =
    encoder instanceof Qwen3PairEncoder ? [encoder.yesTokenId, encoder.noTokenId] : undefined;
  const kvShape = config.family === 'qwen3' ? kvCacheShape(config, options) : null;
  if (options.quantization === 'int8' && (device !== 'cpu' || dtype !== 'float32')) {
    throw new InvalidRequestError('--quantization int8 runs on the CPU in float32 only');
  }
  if (tensorParallel && config.family === 'qwen3') {
    return loadTensorParallel({ dir, config, encoder, options, dtype, device, headTokenIds: headTokenIds ?? null }, tensorParallel);
  }
  const graph = compileGraph(config, weights, { maxPositions: encoder.maxLength, dtype, device, quantization: options.quantization ?? 'none', ...(headTokenIds ? { headTokenIds } : {}) });
  try {
    const sessionOptions: SessionOptions & { dtype: ComputeDtype } = { device, dtype, ...(options.threads ? { intraOpThreads: options.threads } : {}) };
    if (options.allowCpuFallback) sessionOptions.allowCpuFallback = true;
    if (options.profilePrefix) sessionOptions.profilePrefix = options.profilePrefix;
    const executor = await ThreadedExecutor.start({ modelPath: graph.modelPath, session: sessionOptions, layout: feedLayout(config, graph.minSequenceLength), kvShape });
    const engine = new EngineCore({
      scheduler: new Scheduler({
        kvCacheManager: new KVCacheManager({ numBlocks: kvShape?.numBlocks ?? 1, blockSize: KV_BLOCK_SIZE, cacheKey: [dir, dtype] }),
        maxNumBatchedTokens: options.maxNumBatchedTokens ?? defaultMaxNumBatchedTokens(device),
        maxNumPairs: options.maxNumPairs ?? DEFAULT_MAX_NUM_PAIRS,
      }),
      executor,
    });
    const running = engine.run();
    const reranker = new EngineReranker(options.model, config, encoder, engine, config.family === 'qwen3' && (options.prefixCaching ?? true), async () => {
      await engine.shutdown();
      await running;
      await executor.close();
    });
    return Object.assign(reranker, { execution: executionInfo(sessionOptions), failure: executor.failure });
  } finally {
    graph.remove();
  }
}

/**
 * Rank 0 of a tensor-parallel group: the tokenizer and the engine here, the model split over the
 * group. The KV pool budget is per rank, over the KV heads of one rank.
 */
async function loadTensorParallel(
  lead: { dir: string; config: Qwen3Config; encoder: PairEncoder; options: LoadRerankerOptions; dtype: ComputeDtype; device: Device; headTokenIds: [number, number] | null },
  tensorParallel: TensorParallelOptions,
): Promise<LoadedReranker> {
  const { config, encoder, options, dtype, device } = lead;
  const plan = planQwen3Shard(config, tensorParallel.size, 0);
  const kvShape = kvCacheShape(config, options, plan.kvHeads.end - plan.kvHeads.start);
  const spec: ShardSpec = {
    size: tensorParallel.size,
    model: lead.dir,
    fingerprint: modelFingerprint(config),
    dtype,
    maxPositions: encoder.maxLength,
    numKvBlocks: kvShape.numBlocks,
    kvBlockSize: KV_BLOCK_SIZE,
    quantization: options.quantization ?? 'none',
    headTokenIds: config.architecture === 'Qwen3ForCausalLM' ? lead.headTokenIds : null,
  };
  const group = await tensorParallel.connect(spec, () => loadShard({ spec, rank: 0, device, ...(options.threads ? { threads: options.threads } : {}) }));
  const engine = new EngineCore({
    scheduler: new Scheduler({
      kvCacheManager: new KVCacheManager({ numBlocks: kvShape.numBlocks, blockSize: KV_BLOCK_SIZE, cacheKey: [lead.dir, dtype] }),
      maxNumBatchedTokens: options.maxNumBatchedTokens ?? defaultMaxNumBatchedTokens(device),
      maxNumPairs: options.maxNumPairs ?? DEFAULT_MAX_NUM_PAIRS,
    }),
    executor: group,
  });
  const running = engine.run();
  const reranker = new EngineReranker(options.model, config, encoder, engine, options.prefixCaching ?? true, async () => {
    await engine.shutdown();
    await running;
    await group.close();
  });
  return Object.assign(reranker, { execution: executionInfo({ device, dtype }), failure: group.failure });
}

/** The KV pool of a decoder: its blocks hold cached prefixes, sized from a byte budget or a count. */
function kvCacheShape(config: Qwen3Config, options: LoadRerankerOptions, numKvHeads = config.numKvHeads) {
  const shape = { numLayers: config.numLayers, numKvHeads, headDim: config.headDim, blockSize: KV_BLOCK_SIZE };
  const numBlocks =
    options.numKvBlocks ??
    numBlocksForMemory(options.kvCacheMemory ?? DEFAULT_KV_CACHE_MEMORY, { numLayers: shape.numLayers, numKVHeads: shape.numKvHeads, headDim: shape.headDim, blockSize: shape.blockSize, dtypeBytes: Float32Array.BYTES_PER_ELEMENT });
  if (numBlocks < 1) throw new InvalidRequestError(`the KV cache holds no block: each takes ${kvCacheBytesPerBlock({ ...shape, numKVHeads: shape.numKvHeads, dtypeBytes: 4 })} bytes`);
  return { ...shape, numBlocks };
}

function feedLayout(config: Qwen3Config | EncoderConfig, minSequenceLength: number): FeedLayout {
  return config.family === 'qwen3' ? { kind: 'decoder', minSequenceLength } : { kind: 'encoder', padTokenId: config.padTokenId, firstPosition: firstPosition(config) };
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
