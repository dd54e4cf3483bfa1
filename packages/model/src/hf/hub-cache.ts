import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SINGLE_WEIGHTS_FILE, WEIGHTS_INDEX_FILE } from './weights';

/*
 * The Hugging Face cache layout, shared with the Python hub client:
 *   <cache>/models--org--name/blobs/<etag>                  file contents, by ETag
 *   <cache>/models--org--name/snapshots/<commit>/<file>     symlinks into blobs/
 *   <cache>/models--org--name/refs/<revision>               the commit a branch or tag named
 */

/** $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub or ~/.cache/huggingface/hub. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HF_HUB_CACHE || join(hfHome(env), 'hub');
}

function hfHome(env: NodeJS.ProcessEnv): string {
  return env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface');
}

/** $HF_TOKEN, else the token `hf auth login` saved ($HF_TOKEN_PATH or $HF_HOME/token). */
export function hubToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.HF_TOKEN) return env.HF_TOKEN;
  const file = env.HF_TOKEN_PATH || join(hfHome(env), 'token');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() || undefined : undefined;
}

export function repoCacheDir(cacheDir: string, repo: string): string {
  return join(cacheDir, `models--${repo.split('/').join('--')}`);
}

/** A complete snapshot of `repo` at `revision` (a commit, branch or tag) already in the cache, if any. */
export function cachedSnapshot(cacheDir: string, repo: string, revision: string): string | null {
  const repoDir = repoCacheDir(cacheDir, repo);
  const refFile = join(repoDir, 'refs', revision);
  const commit = isCommitHash(revision) ? revision : existsSync(refFile) ? readFileSync(refFile, 'utf8').trim() : null;
  if (!commit) return null;
  const snapshot = join(repoDir, 'snapshots', commit);
  return isCompleteModelDir(snapshot) ? snapshot : null;
}

function isCommitHash(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}

/**
 * config.json and every weight file are present (links resolving to blobs). Weights are fetched
 * last, so a snapshot whose download was interrupted fails this check and is fetched again.
 */
export function isCompleteModelDir(dir: string): boolean {
  if (!existsSync(join(dir, 'config.json'))) return false;
  if (existsSync(join(dir, SINGLE_WEIGHTS_FILE))) return true;
  const shards = indexedShards(join(dir, WEIGHTS_INDEX_FILE));
  return shards !== null && shards.every((shard) => existsSync(join(dir, shard)));
}

/** The shard files a model.safetensors.index.json names, or null when it is absent or unreadable. */
export function indexedShards(indexFile: string): string[] | null {
  try {
    const { weight_map: weightMap } = JSON.parse(readFileSync(indexFile, 'utf8')) as { weight_map?: Record<string, string> };
    return weightMap ? [...new Set(Object.values(weightMap))] : null;
  } catch {
    return null;
  }
}
