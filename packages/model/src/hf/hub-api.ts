import { ModelLoadError } from '@rerankd/protocol';

/** Where and as whom to talk to the hub. */
export interface HubConnection {
  /** e.g. https://huggingface.co, without a trailing slash. */
  endpoint: string;
  token?: string;
}

export interface RepoFile {
  name: string;
  /** Bytes, when the hub reported them. */
  size?: number;
}

export interface RepoRevision {
  commit: string;
  files: RepoFile[];
}

interface RevisionResponse {
  sha?: unknown;
  siblings?: Array<{ rfilename?: unknown; size?: unknown; lfs?: { size?: unknown } }>;
}

/** The commit a revision points at and the files it holds, with sizes. */
export async function fetchRepoRevision(hub: HubConnection, repo: string, revision: string): Promise<RepoRevision> {
  const label = `${repo}@${revision}`;
  const url = `${hub.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}?blobs=true`;
  const response = await hubFetch(label, url, authHeaders(hub));
  if (!response.ok) throw await hubError(label, 'looking up the revision', response);
  const body = (await response.json()) as RevisionResponse;
  if (typeof body.sha !== 'string' || !Array.isArray(body.siblings)) {
    throw new ModelLoadError(label, `${hub.endpoint} answered the revision lookup without "sha" and "siblings"`);
  }
  const files = body.siblings.flatMap((s): RepoFile[] => {
    if (typeof s.rfilename !== 'string') return [];
    const size = typeof s.lfs?.size === 'number' ? s.lfs.size : s.size;
    return [typeof size === 'number' ? { name: s.rfilename, size } : { name: s.rfilename }];
  });
  return { commit: body.sha, files };
}

export interface FileResponse {
  /** The blob's ETag as the hub names it (the LFS sha256 or git object id), unquoted. */
  etag: string;
  /** The final response, body unread. */
  response: Response;
}

/**
 * GETs `file` at `commit`. Redirects are followed by hand: the ETag that names the blob comes
 * from the hub's own response (`x-linked-etag` for LFS files), not from the CDN it redirects to,
 * and the token is sent to the hub only.
 */
export async function fetchRepoFile(hub: HubConnection, repo: string, commit: string, file: string): Promise<FileResponse> {
  const label = `${repo}@${commit}`;
  const hubOrigin = new URL(hub.endpoint).origin;
  let url = new URL(`${hub.endpoint}/${repo}/resolve/${commit}/${file.split('/').map(encodeURIComponent).join('/')}`);
  let etag: string | undefined;
  for (let hop = 0; hop < 10; hop++) {
    const onHub = url.origin === hubOrigin;
    const response = await hubFetch(label, url.href, onHub ? authHeaders(hub) : {}, 'manual');
    if (onHub) etag = unquoteEtag(response.headers.get('x-linked-etag') ?? response.headers.get('etag')) ?? etag;
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      url = new URL(location, url);
      continue;
    }
    if (!response.ok) throw await hubError(label, `downloading ${file}`, response);
    if (!etag) {
      await response.body?.cancel();
      throw new ModelLoadError(label, `downloading ${file}: the hub sent no ETag to name the file in the cache`);
    }
    return { etag, response };
  }
  throw new ModelLoadError(label, `downloading ${file}: too many redirects`);
}

function authHeaders(hub: HubConnection): Record<string, string> {
  return hub.token ? { authorization: `Bearer ${hub.token}` } : {};
}

async function hubFetch(label: string, url: string, headers: Record<string, string>, redirect: RequestInit['redirect'] = 'follow'): Promise<Response> {
  try {
    return await fetch(url, { headers, redirect });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new ModelLoadError(label, `cannot reach ${new URL(url).origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
}

/** Weak (W/"…") and quoted ETags name the same blob as the bare value. */
function unquoteEtag(etag: string | null): string | undefined {
  return etag?.replace(/^W\//, '').replace(/^"(.*)"$/, '$1') || undefined;
}

// What to do about each error code the hub reports in `x-error-code`.
const HINTS: Record<string, string> = {
  RepoNotFound: 'repository not found (if it is private, set HF_TOKEN to a token that can read it)',
  RevisionNotFound: 'revision not found',
  EntryNotFound: 'file not found in the repository',
  GatedRepo: 'the repository is gated: accept its terms on the hub, then set HF_TOKEN',
};

async function hubError(label: string, doing: string, response: Response): Promise<ModelLoadError> {
  const code = response.headers.get('x-error-code');
  const message = response.headers.get('x-error-message') ?? (await response.text().catch(() => '')).slice(0, 200);
  const fallback =
    response.status === 401 ? 'not authorized (set HF_TOKEN to a token that can read it)'
    : response.status === 403 ? 'forbidden (the token cannot read this repository)'
    : response.status === 404 ? 'not found'
    : '';
  const explanation = [code ? HINTS[code] ?? code : fallback, message].filter(Boolean).join('; ');
  return new ModelLoadError(label, `${doing}: HTTP ${response.status}${explanation ? ` ${explanation}` : ''}`);
}
