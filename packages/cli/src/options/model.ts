import type { Command } from 'commander';
import { DEFAULT_MAX_NUM_BATCHED_TOKENS, DTYPE_CHOICES, parseDevice, type DtypeChoice, type LoadRerankerOptions } from '@rerankd/model';
import { collect, option, positiveInt } from './define';
import { tensorParallelFor, type TensorParallelFlags } from '../runtime/tensor-parallel';

export interface ModelFlags extends TensorParallelFlags {
  model?: string;
  maxModelLen?: number;
  maxLength?: number;
  batchSize?: number;
  maxNumSeqs?: number;
  maxNumBatchedTokens?: number;
  prefixCaching?: boolean;
  kvCacheMemory?: number;
  numKvBlocks?: number;
  quantization?: 'none' | 'int8';
  threads?: number;
  device?: string;
  dtype?: DtypeChoice;
  trustRemoteCode?: boolean;
}

/** Flags of every command that loads a model; vLLM's names where they mean the same. */
export function addModelOptions(command: Command): Command {
  return command
    .addOption(option('--model <dir|hub-id>', 'model directory or Hugging Face hub id'))
    .addOption(option('--max-model-len <n>', 'longest pair in tokens (Qwen3: 8192; encoders: their limit)').argParser(positiveInt('--max-model-len')))
    .addOption(option('--max-length <n>', 'alias of --max-model-len').argParser(positiveInt('--max-length')))
    .addOption(option('--batch-size <n>', 'most pairs in one engine step').argParser(positiveInt('--batch-size')))
    .addOption(option('--max-num-seqs <n>', 'alias of --batch-size, as vLLM names it').argParser(positiveInt('--max-num-seqs')))
    .addOption(option('--max-num-batched-tokens <n>', `most tokens computed in one engine step (default ${DEFAULT_MAX_NUM_BATCHED_TOKENS.cpu} on the CPU, ${DEFAULT_MAX_NUM_BATCHED_TOKENS.cuda} on CUDA); a longer pair runs alone`).argParser(positiveInt('--max-num-batched-tokens')))
    .addOption(option('--no-prefix-caching', 'compute every pair whole instead of reusing the KV of its query\'s prefix'))
    .addOption(option('--kv-cache-memory <bytes>', 'KV-cache pool for cached prefixes (default 512 MiB)').argParser(positiveInt('--kv-cache-memory')))
    .addOption(option('--num-kv-blocks <n>', 'KV-cache pool in blocks of 16 tokens (instead of --kv-cache-memory)').argParser(positiveInt('--num-kv-blocks')))
    .addOption(option('--quantization <method>', 'int8: projections as dynamically quantized int8 MatMuls on the CPU (faster, small score drift)').choices(['none', 'int8']))
    .addOption(option('--threads <n>', 'CPU threads per operator (default: all cores)').argParser(positiveInt('--threads')))
    .addOption(option('--device <device>', 'cpu, cuda or cuda:N (see rerankd gpu-setup)').default('cpu'))
    .addOption(option('--dtype <dtype>', 'precision of weights and compute; auto: the checkpoint\'s on CUDA, float32 on the CPU').choices(DTYPE_CHOICES).default('auto'))
    .addOption(option('--trust-remote-code', 'accepted for vLLM compatibility; rerankd runs no code from model repositories'))
    .addOption(option('--tp <n>', 'tensor-parallel size: split the model over a group of N ranks (Qwen3); without --peers, ranks 1..N-1 are child processes on this host').argParser(positiveInt('--tp')))
    .addOption(option('--tensor-parallel-size <n>', 'alias of --tp, as vLLM names it').argParser(positiveInt('--tensor-parallel-size')));
}

/** Flags of a worker that is one rank of a tensor-parallel group spread over hosts. */
export function addTensorParallelGroupOptions(command: Command): Command {
  return command
    .addOption(option('--rank <i>', 'this process\'s rank in a group spread over hosts (0 leads: queue, tokenizer, scheduler); needs --peers').argParser(nonNegativeInt('--rank')))
    .addOption(option('--peers <host:port,...>', 'every rank of the group in rank order, this one included; each rank listens on the port of its own entry').argParser(collect))
    .addOption(option('--tp-listen-host <host>', 'address the rank-to-rank gRPC server binds (with --peers)').default('0.0.0.0'))
    .addOption(option('--tp-tls-cert <file>', 'PEM certificate of this rank: TLS on the rank-to-rank channel'))
    .addOption(option('--tp-tls-key <file>', 'PEM private key of --tp-tls-cert'))
    .addOption(option('--tp-tls-ca <file>', 'PEM CA bundle the other ranks\' certificates must chain to (default: the system\'s)'))
    .addOption(option('--tp-tls-mutual', 'mutual TLS: ranks also require and check each other\'s client certificates against --tp-tls-ca'))
    .addOption(option('--tp-tls-server-name <name>', 'name to check in the other ranks\' certificates instead of the host in --peers'));
}

function nonNegativeInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
    return n;
  };
}

/** The model a command was given, as a positional argument or --model. */
export function modelArgument(positional: string | undefined, flags: ModelFlags): string {
  const model = positional ?? flags.model;
  if (!model) throw new Error('a model is required: give a directory or hub id, or --model');
  if (positional && flags.model && positional !== flags.model) {
    throw new Error(`two models given: "${positional}" and --model "${flags.model}"`);
  }
  return model;
}

/** One-line notices for flags that are accepted but change nothing here. */
export function noticeIgnoredFlags(flags: ModelFlags): void {
  if (flags.trustRemoteCode) process.stderr.write('rerankd: --trust-remote-code has no effect: no code from model repositories is run\n');
}

/**
 * The load options of a command. With --tp N, rank 0's group: child processes on this host, or
 * with --peers the ranks at those addresses; `groupFailure` hears of a group that broke (by
 * default the process says why and exits non-zero, for its supervisor to restart it).
 */
export function toLoadOptions(model: string, flags: ModelFlags, groupFailure?: (error: Error) => void): LoadRerankerOptions {
  const options: LoadRerankerOptions = { model };
  const maxModelLen = flags.maxModelLen ?? flags.maxLength;
  if (maxModelLen !== undefined) options.maxModelLen = maxModelLen;
  const maxNumPairs = flags.batchSize ?? flags.maxNumSeqs;
  if (maxNumPairs !== undefined) options.maxNumPairs = maxNumPairs;
  if (flags.maxNumBatchedTokens !== undefined) options.maxNumBatchedTokens = flags.maxNumBatchedTokens;
  if (flags.prefixCaching === false) options.prefixCaching = false;
  if (flags.kvCacheMemory !== undefined) options.kvCacheMemory = flags.kvCacheMemory;
  if (flags.numKvBlocks !== undefined) options.numKvBlocks = flags.numKvBlocks;
  if (flags.quantization !== undefined) options.quantization = flags.quantization;
  if (flags.threads !== undefined) options.threads = flags.threads;
  if (flags.device !== undefined) options.device = parseDevice(flags.device);
  if (flags.dtype !== undefined) options.dtype = flags.dtype;
  const tensorParallel = tensorParallelFor(flags, groupFailure);
  if (tensorParallel) {
    options.tensorParallel = tensorParallel.options;
    // Ranks of one host share its cores.
    if (options.threads === undefined && tensorParallel.threadsPerRank !== undefined) options.threads = tensorParallel.threadsPerRank;
  }
  return options;
}
