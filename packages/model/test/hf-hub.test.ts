import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ModelLoadError } from '@rerankd/protocol';
import { fixtureModelDir, makeTempDir } from '@rerankd/testing';
import { loadHfModel, resolveModelDir, type ResolveModelOptions } from '../src/hf';

/*
 * A stand-in for the hub on 127.0.0.1, in its URL layout: the revision API, /resolve/ answering
 * small files directly (git ETag) and redirecting .safetensors (LFS) to a CDN on another origin
 * with x-linked-etag, as huggingface.co does.
 */
const REPO = 'acme/tiny-reranker';
const COMMIT = 'c0ffee'.padEnd(40, '0');
const TOKEN = 'hf_test_token';
const fixture = fixtureModelDir('qwen3-tiny-untied');
const repoFiles = ['README.md', 'pytorch_model.bin', 'onnx/model.onnx', ...readdirSync(fixture)];

interface Seen {
  path: string;
  authorization: string | undefined;
}
let hubRequests: Seen[] = [];
let cdnRequests: Seen[] = [];
let cutShardShort = false;

const fileBytes = (file: string) => (existsSync(join(fixture, file)) ? readFileSync(join(fixture, file)) : Buffer.from(`placeholder for ${file}`));
const sha = (algorithm: string, bytes: Buffer) => createHash(algorithm).update(bytes).digest('hex');
const isLfs = (file: string) => file.endsWith('.safetensors') || file.endsWith('.bin') || file.endsWith('.onnx');

function notFound(res: ServerResponse, code: string, message: string): void {
  res.writeHead(404, { 'x-error-code': code, 'x-error-message': message, 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: message }));
}

function hubHandler(cdnOrigin: () => string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://hub');
    hubRequests.push({ path: url.pathname, authorization: req.headers.authorization });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401, { 'x-error-code': 'RepoNotFound', 'x-error-message': 'Invalid credentials in Authorization header' });
      res.end();
      return;
    }
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(url.pathname);
    if (api) {
      if (api[1] !== REPO) return notFound(res, 'RepoNotFound', 'Repository not found');
      if (api[2] !== 'main' && api[2] !== COMMIT) return notFound(res, 'RevisionNotFound', 'Invalid rev id');
      const siblings = repoFiles.map((file) => {
        const bytes = fileBytes(file);
        return isLfs(file)
          ? { rfilename: file, size: bytes.length, lfs: { sha256: sha('sha256', bytes), size: bytes.length } }
          : { rfilename: file, size: bytes.length, blobId: sha('sha1', bytes) };
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: REPO, sha: COMMIT, siblings }));
      return;
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const file = resolve ? decodeURIComponent(resolve[3]!) : '';
    if (!resolve || resolve[1] !== REPO || !repoFiles.includes(file)) return notFound(res, 'EntryNotFound', 'Entry not found');
    const bytes = fileBytes(file);
    if (isLfs(file)) {
      res.writeHead(302, {
        location: `${cdnOrigin()}/repos/blobs/${file}?X-Amz-Signature=abc`,
        'x-linked-etag': `"${sha('sha256', bytes)}"`,
        'x-linked-size': String(bytes.length),
        'x-repo-commit': COMMIT,
        etag: `"${sha('sha256', bytes)}"`,
      });
      res.end();
      return;
    }
    res.writeHead(200, { etag: `"${sha('sha1', bytes)}"`, 'x-repo-commit': COMMIT, 'content-length': bytes.length });
    res.end(bytes);
  };
}

function cdnHandler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://cdn');
  cdnRequests.push({ path: url.pathname, authorization: req.headers.authorization });
  const file = url.pathname.replace('/repos/blobs/', '');
  const bytes = fileBytes(file);
  res.writeHead(200, { 'content-length': bytes.length, etag: '"cdn-etag-not-the-blob-name"' });
  if (cutShardShort && file === 'model-00002-of-00002.safetensors') {
    // The connection drops halfway through: the download must not look complete.
    res.write(bytes.subarray(0, bytes.length >> 1), () => res.destroy());
    return;
  }
  res.end(bytes);
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let hubUrl = '';
let cdnUrl = '';
/** An endpoint where nothing listens. */
let deadUrl = '';
const cdn = createServer(cdnHandler);
const hub = createServer(hubHandler(() => cdnUrl));

before(async () => {
  cdnUrl = await listen(cdn);
  hubUrl = await listen(hub);
  const closed = createServer();
  deadUrl = await listen(closed);
  closed.close();
});
after(() => {
  hub.close();
  cdn.close();
});
beforeEach(() => {
  hubRequests = [];
  cdnRequests = [];
  cutShardShort = false;
});

function captureOutput(): { output: Writable; text: () => string } {
  let text = '';
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { output, text: () => text };
}

function options(cacheDir: string, extra: ResolveModelOptions = {}): ResolveModelOptions {
  return { cacheDir, endpoint: hubUrl, token: TOKEN, output: captureOutput().output, ...extra };
}

async function assertRejectsWith(promise: Promise<unknown>, file: string, problem: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ModelLoadError, `expected ModelLoadError, got ${String(err)}`);
    assert.equal(err.file, file);
    assert.match(err.message, problem);
    return true;
  });
}

test('a hub id downloads once into the cache layout, then resolves from the cache alone', async () => {
  const cacheDir = makeTempDir('hub');
  const { output, text } = captureOutput();
  const dir = await resolveModelDir(REPO, options(cacheDir, { output }));

  const repoDir = join(cacheDir, 'models--acme--tiny-reranker');
  assert.equal(dir, join(repoDir, 'snapshots', COMMIT));
  assert.equal(readFileSync(join(repoDir, 'refs', 'main'), 'utf8'), COMMIT);
  const shard = join(dir, 'model-00001-of-00002.safetensors');
  assert.ok(lstatSync(shard).isSymbolicLink());
  assert.equal(readlinkSync(shard), join('..', '..', 'blobs', sha('sha256', fileBytes('model-00001-of-00002.safetensors'))));
  assert.equal(realpathSync(join(dir, 'config.json')), join(realpathSync(repoDir), 'blobs', sha('sha1', fileBytes('config.json'))));
  assert.deepEqual(readFileSync(shard), fileBytes('model-00001-of-00002.safetensors'));
  assert.equal(loadHfModel(dir).config.hiddenSize, 24);
  assert.deepEqual(readdirSync(join(repoDir, 'blobs')).filter((f) => f.includes('incomplete')), []);

  // Only what serving needs was fetched; the token went to the hub and never to the CDN.
  const fetched = hubRequests.filter((r) => r.path.includes('/resolve/')).map((r) => r.path.replace(`/${REPO}/resolve/${COMMIT}/`, ''));
  assert.deepEqual(fetched.sort(), [
    'config.json',
    'generation_config.json',
    'model-00001-of-00002.safetensors',
    'model-00002-of-00002.safetensors',
    'model.safetensors.index.json',
    'tokenizer.json',
    'tokenizer_config.json',
  ]);
  assert.ok(hubRequests.every((r) => r.authorization === `Bearer ${TOKEN}`));
  assert.equal(cdnRequests.length, 2);
  assert.ok(cdnRequests.every((r) => r.authorization === undefined));
  assert.match(text(), /^downloading acme\/tiny-reranker@main \(\d+\.\d MB, 6 files\) into .*snapshots/);

  hubRequests = [];
  cdnRequests = [];
  assert.equal(await resolveModelDir(REPO, options(cacheDir)), dir);
  assert.equal(await resolveModelDir(`${REPO}@${COMMIT}`, options(cacheDir, { endpoint: deadUrl })), dir);
  assert.equal(await resolveModelDir(REPO, options(cacheDir, { offline: true })), dir);
  assert.deepEqual([...hubRequests, ...cdnRequests], []);
});

test('HF_HOME, HF_ENDPOINT and HF_TOKEN are honoured', async () => {
  const home = makeTempDir('hf-home');
  const saved = { ...process.env };
  try {
    delete process.env.HF_HUB_CACHE;
    Object.assign(process.env, { HF_HOME: home, HF_ENDPOINT: `${hubUrl}/`, HF_TOKEN: TOKEN });
    const { output, text } = captureOutput();
    const dir = await resolveModelDir(REPO, { output, progress: true });
    assert.equal(dir, join(home, 'hub', 'models--acme--tiny-reranker', 'snapshots', COMMIT));
    assert.match(text(), /100% \| \d+\.\d\/\d+\.\d MB \| model-00002-of-00002\.safetensors/);
    assert.ok(hubRequests.length > 0 && hubRequests.every((r) => r.authorization === `Bearer ${TOKEN}`));
  } finally {
    process.env = saved;
  }
});

test('an interrupted download leaves no complete-looking snapshot and resumes with what is missing', async () => {
  const cacheDir = makeTempDir('hub-cut');
  cutShardShort = true;
  await assertRejectsWith(resolveModelDir(REPO, options(cacheDir)), `${REPO}@${COMMIT}`, /downloading model-00002-of-00002\.safetensors failed/);
  const repoDir = join(cacheDir, 'models--acme--tiny-reranker');
  assert.equal(existsSync(join(repoDir, 'snapshots', COMMIT, 'model-00002-of-00002.safetensors')), false);
  assert.deepEqual(readdirSync(join(repoDir, 'blobs')).filter((f) => f.includes('incomplete')), []);
  await assertRejectsWith(resolveModelDir(REPO, options(cacheDir, { offline: true })), `${REPO}@main`, /not in the cache .* HF_HUB_OFFLINE is set/);

  cutShardShort = false;
  hubRequests = [];
  const dir = await resolveModelDir(REPO, options(cacheDir));
  assert.deepEqual(
    hubRequests.filter((r) => r.path.includes('/resolve/')).map((r) => r.path.split('/').pop()),
    ['model-00002-of-00002.safetensors'],
  );
  assert.equal(loadHfModel(dir).weights.has('lm_head.weight'), true);
});

test('hub errors name the repository and what happened', async () => {
  const cacheDir = makeTempDir('hub-err');
  await assertRejectsWith(resolveModelDir('acme/no-such-model', options(cacheDir)), 'acme/no-such-model@main', /HTTP 404 repository not found.*Repository not found/);
  await assertRejectsWith(resolveModelDir(`${REPO}@v9`, options(cacheDir)), `${REPO}@v9`, /HTTP 404 revision not found/);
  await assertRejectsWith(resolveModelDir(REPO, options(cacheDir, { token: 'hf_wrong' })), `${REPO}@main`, /HTTP 401 .*Invalid credentials/);
  await assertRejectsWith(resolveModelDir(REPO, options(cacheDir, { endpoint: deadUrl })), `${REPO}@main`, new RegExp(`cannot reach ${deadUrl}: ECONNREFUSED`));
});

test('a local directory is used as is; a missing path that is no hub id is an error', async () => {
  const local = fixtureModelDir('bert-tiny-ce');
  assert.equal(await resolveModelDir(local), local);
  await assertRejectsWith(resolveModelDir('./models/missing'), './models/missing', /no such directory, and not a Hugging Face hub id/);
  await assertRejectsWith(resolveModelDir(join(local, 'config.json')), join(local, 'config.json'), /not a directory/);
});
