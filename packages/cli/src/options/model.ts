import type { Command } from 'commander';
import { DTYPE_CHOICES, parseDevice, type DtypeChoice, type LoadRerankerOptions } from '@rerankd/model';
import { option, positiveInt } from './define';

export interface ModelFlags {
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
    .addOption(option('--max-num-batched-tokens <n>', 'most tokens computed in one engine step (default 4096, at least the longest pair)').argParser(positiveInt('--max-num-batched-tokens')))
    .addOption(option('--no-prefix-caching', 'compute every pair whole instead of reusing the KV of its query\'s prefix'))
    .addOption(option('--kv-cache-memory <bytes>', 'KV-cache pool for cached prefixes (default 512 MiB)').argParser(positiveInt('--kv-cache-memory')))
    .addOption(option('--num-kv-blocks <n>', 'KV-cache pool in blocks of 16 tokens (instead of --kv-cache-memory)').argParser(positiveInt('--num-kv-blocks')))
    .addOption(option('--quantization <method>', 'int8: projections as dynamically quantized int8 MatMuls on the CPU (faster, small score drift)').choices(['none', 'int8']))
    .addOption(option('--threads <n>', 'CPU threads per operator (default: all cores)').argParser(positiveInt('--threads')))
    .addOption(option('--device <device>', 'cpu, cuda or cuda:N (see rerankd gpu-setup)').default('cpu'))
    .addOption(option('--dtype <dtype>', 'precision of weights and compute; auto: the checkpoint\'s on CUDA, float32 on the CPU').choices(DTYPE_CHOICES).default('auto'))
    .addOption(option('--trust-remote-code', 'accepted for vLLM compatibility; rerankd runs no code from model repositories'));
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

export function toLoadOptions(model: string, flags: ModelFlags): LoadRerankerOptions {
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
  return options;
}
