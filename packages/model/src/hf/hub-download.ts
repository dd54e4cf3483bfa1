import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, open, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { ModelLoadError } from '@rerankd/protocol';
import { fetchRepoFile, fetchRepoRevision, type HubConnection, type RepoFile } from './hub-api';
import { indexedShards, repoCacheDir } from './hub-cache';
import { DownloadProgress, megabytes } from './hub-progress';
import { SINGLE_WEIGHTS_FILE, WEIGHTS_INDEX_FILE } from './weights';

/** Files a reranker needs besides its weights, fetched when the repository has them. */
const SUPPORT_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json'];

export interface DownloadOptions {
  hub: HubConnection;
  cacheDir: string;
  output: NodeJS.WritableStream;
  showProgress: boolean;
}

/**
 * Fetches what serving `repo` at `revision` needs into the hub cache and returns the snapshot
 * directory. Each file is written to a temporary name and renamed when complete, and the
 * weights come last, so an interrupted download never looks like a complete snapshot.
 */
export async function downloadModelSnapshot(repo: string, revision: string, options: DownloadOptions): Promise<string> {
  const label = `${repo}@${revision}`;
  const { commit, files } = await fetchRepoRevision(options.hub, repo, revision);
  const listed = new Map(files.map((f) => [f.name, f]));
  if (!listed.has('config.json')) throw new ModelLoadError(label, 'the repository has no config.json');
  const repoDir = repoCacheDir(options.cacheDir, repo);
  const snapshot = join(repoDir, 'snapshots', commit);
  const fetchFile = (file: string, progress?: DownloadProgress) =>
    fetchIntoCache(options.hub, repo, commit, repoDir, listed.get(file) ?? { name: file }, progress);

  let weightFiles: string[];
  if (listed.has(WEIGHTS_INDEX_FILE)) {
    // The index is small and says which shards exist: fetch it before sizing the download.
    if (!existsSync(join(snapshot, WEIGHTS_INDEX_FILE))) await fetchFile(WEIGHTS_INDEX_FILE);
    weightFiles = shardsOf(label, join(snapshot, WEIGHTS_INDEX_FILE), listed);
  } else if (listed.has(SINGLE_WEIGHTS_FILE)) {
    weightFiles = [SINGLE_WEIGHTS_FILE];
  } else {
    const hint = listed.has('pytorch_model.bin') ? ' (it has only pytorch_model.bin, which is not supported)' : '';
    throw new ModelLoadError(label, `the repository has no ${SINGLE_WEIGHTS_FILE} or ${WEIGHTS_INDEX_FILE}${hint}`);
  }

  const wanted = [...SUPPORT_FILES.filter((f) => listed.has(f)), ...weightFiles];
  const missing = wanted.filter((file) => !existsSync(join(snapshot, file)));
  if (missing.length > 0) {
    const bytes = missing.reduce((sum, file) => sum + (listed.get(file)?.size ?? 0), 0);
    options.output.write(`downloading ${label} (${megabytes(bytes)} MB, ${missing.length} files) into ${snapshot}\n`);
    const progress = new DownloadProgress(bytes, options.showProgress, options.output);
    try {
      for (const file of missing) await fetchFile(file, progress);
    } finally {
      progress.stop();
    }
  }
  if (revision !== commit) await writeAtomically(join(repoDir, 'refs', revision), commit);
  return snapshot;
}

/** The shards an index names; each must be a file of the repository that sits beside it. */
function shardsOf(label: string, indexFile: string, listed: Map<string, RepoFile>): string[] {
  const shards = indexedShards(indexFile);
  if (!shards) throw new ModelLoadError(label, `${WEIGHTS_INDEX_FILE} has no readable "weight_map"`);
  const bad = shards.find((shard) => basename(shard) !== shard || !listed.has(shard));
  if (bad !== undefined) throw new ModelLoadError(label, `${WEIGHTS_INDEX_FILE} names ${JSON.stringify(bad)}, which is not a file of the repository`);
  return shards.sort();
}

async function fetchIntoCache(hub: HubConnection, repo: string, commit: string, repoDir: string, file: RepoFile, progress?: DownloadProgress): Promise<void> {
  const label = `${repo}@${commit}`;
  const { etag, response } = await fetchRepoFile(hub, repo, commit, file.name);
  if (!/^[\w.-]+$/.test(etag)) {
    await response.body?.cancel();
    throw new ModelLoadError(label, `downloading ${file.name}: ETag ${JSON.stringify(etag)} cannot name a cache file`);
  }
  const blob = join(repoDir, 'blobs', etag);
  const pointer = join(repoDir, 'snapshots', commit, file.name);
  await mkdir(dirname(blob), { recursive: true });
  await mkdir(dirname(pointer), { recursive: true });
  if (existsSync(blob)) {
    // Another revision already brought these bytes.
    await response.body?.cancel();
    progress?.advance(file.size ?? 0);
  } else {
    await writeBlob(label, response, blob, file, progress);
  }
  await linkPointer(pointer, blob);
}

async function writeBlob(label: string, response: Response, blob: string, { name, size }: RepoFile, progress?: DownloadProgress): Promise<void> {
  // A compressed body's content-length counts compressed bytes, not what is written.
  const length = response.headers.get('content-length');
  const declared = length !== null && !response.headers.get('content-encoding') ? Number(length) : null;
  progress?.startFile(name, size === undefined ? (declared ?? 0) : 0);
  const temp = `${blob}.${randomUUID()}.incomplete`;
  try {
    const handle = await open(temp, 'w');
    let written = 0;
    try {
      for await (const chunk of response.body ?? []) {
        await handle.write(chunk);
        written += chunk.length;
        progress?.advance(chunk.length);
      }
    } finally {
      await handle.close();
    }
    if (declared !== null && written !== declared) throw new Error(`received ${written} of ${declared} bytes`);
    await rename(temp, blob);
  } catch (err) {
    await rm(temp, { force: true });
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    throw new ModelLoadError(label, `downloading ${name} failed: ${(err as Error).message}${cause ? ` (${cause})` : ''}`);
  }
}

/** snapshots/<commit>/<file> → a relative link to its blob, as the Python hub client makes it. */
async function linkPointer(pointer: string, blob: string): Promise<void> {
  // A link left by an earlier, interrupted run may dangle: replace it.
  if (await lstat(pointer).then(() => true, () => false)) await unlink(pointer);
  await symlink(relative(dirname(pointer), blob), pointer).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err; // another process linked it first
  });
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${randomUUID()}.incomplete`;
  await writeFile(temp, text);
  await rename(temp, file);
}
