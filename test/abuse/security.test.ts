import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fixtureModelDir, startRedis, startRerankd, startTlsRedis, type RedisServer, type RerankdProcess } from '@rerankd/testing';

const MODEL = 'bert-tiny';
const BODY = JSON.stringify({ model: MODEL, query: 'q', documents: ['a', 'b'] });

const rerank = (base: string, key?: string) =>
  fetch(`${base}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) }, body: BODY });

/** Polls until `key` gets `status`; the time it took. */
async function untilStatus(base: string, key: string, status: number, timeoutMs = 5000): Promise<number> {
  const started = Date.now();
  for (;;) {
    if ((await rerank(base, key)).status === status) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`key ${key.slice(0, 6)}… did not get ${status} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe('API keys from a file, rotated without a restart', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rerankd-keys-'));
  const keyFile = join(dir, 'keys');
  const keys = { a: 'key-alpha-4f1c9e', b: 'key-bravo-77d2a0', c: 'key-charlie-0b9e31', d: 'key-delta-9a8c55' };
  /** Replaces the file whole, as an operator should (write aside, then rename). */
  const writeKeys = (...lines: string[]) => {
    writeFileSync(join(dir, 'keys.new'), `${lines.join('\n')}\n`);
    renameSync(join(dir, 'keys.new'), keyFile);
  };
  let server: RerankdProcess;

  before(async () => {
    writeKeys('# rerankd keys', keys.a, '', `  ${keys.b}  `);
    server = await startRerankd(['serve', fixtureModelDir('bert-tiny-ce'), '--served-model-name', MODEL, '--threads', '1', '--api-key-file', keyFile]);
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every key in the file is accepted; none else, and probes need none', async () => {
    assert.equal((await rerank(server.url, keys.a)).status, 200);
    assert.equal((await rerank(server.url, keys.b)).status, 200);
    assert.equal((await rerank(server.url, keys.c)).status, 401);
    assert.equal((await rerank(server.url)).status, 401);
    assert.equal((await rerank(server.url, '# rerankd keys')).status, 401);
    for (const path of ['/health', '/ready', '/metrics']) assert.equal((await fetch(server.url + path)).status, 200, path);
    for (const path of ['/version', '/v1/models']) assert.equal((await fetch(server.url + path)).status, 401, path);
  });

  test('a changed file takes effect by itself; SIGHUP makes it take effect at once', async (t) => {
    writeKeys(keys.b, keys.c);
    const changed = await untilStatus(server.url, keys.c, 200);
    assert.equal((await rerank(server.url, keys.a)).status, 401, 'the rotated-out key is refused');
    assert.equal((await rerank(server.url, keys.b)).status, 200, 'a kept key goes on working');

    writeKeys(keys.d);
    server.child.kill('SIGHUP');
    const signalled = await untilStatus(server.url, keys.d, 200);
    assert.equal((await rerank(server.url, keys.b)).status, 401);
    assert.match(server.stderr(), /SIGHUP: 1 API keys loaded from/);
    t.diagnostic(`security: a rewritten key file took effect after ${changed} ms by itself, ${signalled} ms after SIGHUP`);
  });

  test('a key file that cannot be read leaves the keys in use as they were', async () => {
    rmSync(keyFile);
    server.child.kill('SIGHUP');
    await sleep(300);
    assert.match(server.stderr(), /cannot be read \(ENOENT\); the 1 keys in use stay in use/);
    assert.equal((await rerank(server.url, keys.d)).status, 200);
    assert.equal(server.child.exitCode, null);
    writeKeys(keys.d);
  });

  test('no key is ever written to the log', () => {
    const log = server.stderr();
    for (const key of Object.values(keys)) assert.ok(!log.includes(key), 'a key is in the log');
    assert.ok(!log.includes('key-'), 'no part of a key is in the log');
  });

  test('a missing key file stops start-up with one line', async () => {
    await assert.rejects(
      startRerankd(['serve', fixtureModelDir('bert-tiny-ce'), '--api-key-file', join(dir, 'absent')]),
      (error: Error) => /--api-key-file \S+absent cannot be read \(ENOENT\)/.test(error.message) && !/\n\s+at /.test(error.message),
    );
  });
});

describe('public paths', { timeout: 60_000 }, () => {
  let server: RerankdProcess;
  before(async () => {
    server = await startRerankd(['serve', fixtureModelDir('bert-tiny-ce'), '--served-model-name', MODEL, '--api-key', 'k-1', '--public-path', '/health']);
  });
  after(() => server?.stop());

  test('--public-path replaces the default set: /metrics and /ready then need a key', async () => {
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
    assert.equal((await fetch(`${server.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${server.url}/ready`)).status, 401);
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer k-1' } })).status, 200);
  });
});

describe('Redis with a password, and over TLS', { timeout: 120_000 }, () => {
  const PASSWORD = 'p@ss:w/rd%20 with spaces';
  let redis: RedisServer;
  const started: RerankdProcess[] = [];
  const start = async (args: string[], options: Parameters<typeof startRerankd>[1] = {}) => {
    const process = await startRerankd(args, options);
    started.push(process);
    return process;
  };
  const worker = (url: string, env: NodeJS.ProcessEnv = {}) =>
    start(['worker', fixtureModelDir('bert-tiny-ce'), '--served-model-name', MODEL, '--redis-url', url, '--threads', '1'], { portFlag: '--metrics-port', env });

  before(async () => {
    redis = await startRedis({ password: PASSWORD });
  });
  after(async () => {
    await Promise.all(started.map((p) => p.stop()));
    await redis?.stop();
  });

  test('a redis:// URL with the password works; a wrong one is a 503 that names neither', async () => {
    assert.match(redis.url, /^redis:\/\/:[^@]+@/);
    await worker(redis.url);
    const gateway = await start(['gateway', '--redis-url', redis.url]);
    assert.equal((await rerank(gateway.url)).status, 200);

    const wrongUrl = redis.url.replace(encodeURIComponent(PASSWORD), 'not-the-password');
    const refused = await start(['gateway', '--redis-url', wrongUrl]);
    const answer = await rerank(refused.url);
    assert.equal(answer.status, 503);
    const text = await answer.text();
    for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), 'not-the-password']) {
      assert.ok(!text.includes(secret), 'the password is in the answer');
      assert.ok(!refused.stderr().includes(secret) && !gateway.stderr().includes(secret), 'the password is in the log');
    }
  });

  test('a rediss:// URL talks TLS to a Redis that speaks nothing else; redis:// to it gets nowhere', async () => {
    const tlsRedis = await startTlsRedis('tls-secret');
    const mark = started.length;
    try {
      const env = { NODE_EXTRA_CA_CERTS: tlsRedis.caFile };
      await worker(tlsRedis.url, env);
      const gateway = await start(['gateway', '--redis-url', tlsRedis.url], { env });
      assert.equal((await rerank(gateway.url)).status, 200);
      // The URL's scheme is what turns TLS on: plain TCP to the TLS port is refused.
      const plain = await start(['gateway', '--redis-url', tlsRedis.url.replace('rediss:', 'redis:')], { env });
      assert.equal((await rerank(plain.url)).status, 503);
    } finally {
      await Promise.all(started.splice(mark).map((p) => p.stop()));
      await tlsRedis.stop();
    }
  });
});
