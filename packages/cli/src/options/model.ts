import type { Command } from 'commander';
import type { LoadRerankerOptions } from '@rerankd/model';
import { option, positiveInt } from './define';

export interface ModelFlags {
  model?: string;
  maxModelLen?: number;
  maxLength?: number;
  batchSize?: number;
  threads?: number;
  dtype?: string;
  trustRemoteCode?: boolean;
}

/** Flags of every command that loads a model; vLLM's names where they mean the same. */
export function addModelOptions(command: Command): Command {
  return command
    .addOption(option('--model <dir|hub-id>', 'model directory or Hugging Face hub id'))
    .addOption(option('--max-model-len <n>', 'longest pair in tokens (Qwen3: 8192; encoders: their limit)').argParser(positiveInt('--max-model-len')))
    .addOption(option('--max-length <n>', 'alias of --max-model-len').argParser(positiveInt('--max-length')))
    .addOption(option('--batch-size <n>', 'most pairs in one model run').argParser(positiveInt('--batch-size')))
    .addOption(option('--threads <n>', 'CPU threads per operator (default: all cores)').argParser(positiveInt('--threads')))
    .addOption(option('--dtype <dtype>', 'weights precision; the CPU computes in float32').choices(['auto', 'float32']).default('auto'))
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
  if (flags.batchSize !== undefined) options.maxBatchSize = flags.batchSize;
  if (flags.threads !== undefined) options.threads = flags.threads;
  return options;
}
