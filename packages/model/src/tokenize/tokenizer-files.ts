import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@anush008/tokenizers';
import { ModelLoadError } from '@rerankd/protocol';

export interface LoadedTokenizer {
  tokenizer: Tokenizer;
  /** Path of the tokenizer.json it came from, for error messages. */
  file: string;
}

/** Opens `dir/tokenizer.json` (the fast-tokenizer file every Hugging Face reranker ships). */
export function openTokenizer(dir: string): LoadedTokenizer {
  const file = join(dir, 'tokenizer.json');
  if (!existsSync(file)) throw new ModelLoadError(file, 'tokenizer.json is missing');
  try {
    return { tokenizer: Tokenizer.fromFile(file), file };
  } catch (err) {
    throw new ModelLoadError(file, `cannot load the tokenizer: ${(err as Error).message}`);
  }
}

/**
 * `model_max_length` of `dir/tokenizer_config.json`, when the file exists and sets a real limit
 * (transformers writes 1e30 for "none", which callers' Math.min absorbs).
 */
export function readModelMaxLength(dir: string): number | undefined {
  const file = join(dir, 'tokenizer_config.json');
  if (!existsSync(file)) return undefined;
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ModelLoadError(file, `cannot read tokenizer_config.json: ${(err as Error).message}`);
  }
  const limit = (config as { model_max_length?: unknown } | null)?.model_max_length;
  return typeof limit === 'number' && limit > 0 ? limit : undefined;
}
