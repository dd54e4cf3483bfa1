import { Option, type Command } from 'commander';
import type { LoadRerankerOptions } from '@rerankd/model';

export interface ModelFlags {
  model: string;
  maxModelLen?: number;
  maxLength?: number;
  batchSize?: number;
  threads?: number;
}

const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${value}"`);
  return n;
};

/** Flags every command that loads a model shares. */
export function modelOptions(command: Command): Command {
  return command
    .addOption(new Option('--model <dir|hub-id>', 'model directory or Hugging Face hub id').env('RERANKD_MODEL').makeOptionMandatory())
    .addOption(new Option('--max-model-len <n>', 'longest pair in tokens (Qwen3 default 8192; encoders: their limit)').argParser(positiveInt('--max-model-len')).env('RERANKD_MAX_MODEL_LEN'))
    .addOption(new Option('--max-length <n>', 'alias of --max-model-len').argParser(positiveInt('--max-length')))
    .addOption(new Option('--batch-size <n>', 'most pairs in one model run').argParser(positiveInt('--batch-size')).env('RERANKD_BATCH_SIZE'))
    .addOption(new Option('--threads <n>', 'CPU threads per operator (default: all cores)').argParser(positiveInt('--threads')).env('RERANKD_THREADS'));
}

export function toLoadOptions(flags: ModelFlags): LoadRerankerOptions {
  const options: LoadRerankerOptions = { model: flags.model };
  const maxModelLen = flags.maxModelLen ?? flags.maxLength;
  if (maxModelLen !== undefined) options.maxModelLen = maxModelLen;
  if (flags.batchSize !== undefined) options.maxBatchSize = flags.batchSize;
  if (flags.threads !== undefined) options.threads = flags.threads;
  return options;
}
