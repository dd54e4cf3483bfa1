import { existsSync, statSync } from 'node:fs';
import { ModelLoadError } from '@rerankd/protocol';
import { cachedSnapshot, hubCacheDir, hubToken, repoCacheDir } from './hub-cache';
import { downloadModelSnapshot } from './hub-download';

export interface ResolveModelOptions {
  /** Default: $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** Default: $HF_ENDPOINT or https://huggingface.co. */
  endpoint?: string;
  /** Default: $HF_TOKEN or the token `hf auth login` saved. */
  token?: string;
  /** Use the cache only. Default: $HF_HUB_OFFLINE. */
  offline?: boolean;
  /** Draw a progress bar. Default: when `output` is a terminal. */
  progress?: boolean;
  /** Where the download message and progress bar go. Default: stderr. */
  output?: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface HubId {
  repo: string;
  revision: string;
}

// A hub name: letters, digits, '_', '.', '-'; no leading/trailing '.' or '-', no '--' or '..'.
const NAME = '[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?';
const HUB_ID = new RegExp(`^(${NAME}/${NAME})(?:@([^@\\s]+))?$`);

/** `org/name` or `org/name@revision` (a branch, tag or commit), else null. */
export function parseHubId(model: string): HubId | null {
  const match = HUB_ID.exec(model);
  if (!match || /--|\.\./.test(match[1]!)) return null;
  return { repo: match[1]!, revision: match[2] ?? 'main' };
}

/**
 * A local model directory for `model`: an existing directory as given, or a hub id fetched
 * once into the Hugging Face cache; later calls find it there without the network.
 */
export async function resolveModelDir(model: string, options: ResolveModelOptions = {}): Promise<string> {
  if (existsSync(model)) {
    if (!statSync(model).isDirectory()) throw new ModelLoadError(model, 'not a directory; a model is a directory holding config.json and safetensors weights');
    return model;
  }
  const id = parseHubId(model);
  if (!id) throw new ModelLoadError(model, 'no such directory, and not a Hugging Face hub id (org/name or org/name@revision)');
  const cacheDir = options.cacheDir ?? hubCacheDir();
  const cached = cachedSnapshot(cacheDir, id.repo, id.revision);
  if (cached) return cached;
  if (options.offline ?? isTrue(process.env.HF_HUB_OFFLINE)) {
    throw new ModelLoadError(`${id.repo}@${id.revision}`, `not in the cache (${repoCacheDir(cacheDir, id.repo)}) and HF_HUB_OFFLINE is set`);
  }
  const output = options.output ?? process.stderr;
  return downloadModelSnapshot(id.repo, id.revision, {
    hub: {
      endpoint: (options.endpoint ?? (process.env.HF_ENDPOINT || 'https://huggingface.co')).replace(/\/+$/, ''),
      token: options.token ?? hubToken(),
    },
    cacheDir,
    output,
    showProgress: options.progress ?? output.isTTY === true,
  });
}

/** The Python hub client's reading of boolean environment variables. */
function isTrue(value: string | undefined): boolean {
  return ['1', 'ON', 'YES', 'TRUE'].includes((value ?? '').toUpperCase());
}
