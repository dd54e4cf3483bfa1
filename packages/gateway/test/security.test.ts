import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiKeys } from '../src/index';
import { MAX_CHARACTERS_PER_TOKEN } from '../src/text-bound';
import { liveWorker, scoredResult } from './fake-queue';
import { MODEL, request, startGateway, type TestGateway } from './gateway-server';

const RERANK = { query: 'q', documents: ['a', 'bb'] };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('API keys', () => {
  const keys = new ApiKeys(['key-one', 'key-two']);
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway({}, { apiKeys: keys });
  });
  after(() => gateway.close());

  it('accepts any of several keys, as a bearer token or x-api-key, and refuses others with 401', async () => {
    assert.equal((await request(gateway.base, '/v1/rerank', { body: RERANK, headers: bearer('key-one') })).status, 200);
    assert.equal((await request(gateway.base, '/v1/rerank', { body: RERANK, headers: { 'x-api-key': 'key-two' } })).status, 200);
    for (const headers of [{}, bearer('key-on'), bearer('key-one2'), bearer('KEY-ONE'), { authorization: 'Basic a2V5LW9uZQ==' }]) {
      const answer = await request(gateway.base, '/v1/rerank', { body: RERANK, headers });
      assert.equal(answer.status, 401);
      assert.equal(answer.headers.get('www-authenticate'), 'Bearer');
    }
  });

  it('takes new keys while running: a rotated-out key is refused from the next request on', async () => {
    keys.replace(['key-two', 'key-three']);
    try {
      assert.equal((await request(gateway.base, '/v1/models', { headers: bearer('key-one') })).status, 401);
      assert.equal((await request(gateway.base, '/v1/models', { headers: bearer('key-three') })).status, 200);
      assert.equal(keys.size, 2);
    } finally {
      keys.replace(['key-one', 'key-two']);
    }
  });

  it('guards every route but /health, /ready and /metrics, whatever their spelling', async () => {
    for (const path of ['/health', '/ready', '/metrics']) assert.equal((await request(gateway.base, path)).status, 200, path);
    for (const path of ['/version', '/v1/models', '/HEALTH', '/health/', '/Metrics', '/nowhere']) {
      assert.equal((await request(gateway.base, path)).status, 401, path);
    }
    assert.equal((await request(gateway.base, '/v1/score', { body: { text_1: 'q', text_2: 'd' } })).status, 401);
  });

  it('never puts a key in an answer', async () => {
    const answer = await request(gateway.base, '/v1/rerank', { body: RERANK, headers: bearer('key-one-typo') });
    assert.doesNotMatch(answer.text, /key-one/);
  });
});

describe('API keys from a file that holds none', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway({}, { apiKeys: new ApiKeys([], true) });
  });
  after(() => gateway.close());

  it('refuses everyone but probes, instead of opening up', async () => {
    assert.equal((await request(gateway.base, '/v1/rerank', { body: RERANK })).status, 401);
    assert.equal((await request(gateway.base, '/v1/rerank', { body: RERANK, headers: bearer('') })).status, 401);
    assert.equal((await request(gateway.base, '/health')).status, 200);
  });
});

describe('public paths', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway({ apiKeys: ['k'], publicPaths: ['/health', '/version'] });
  });
  after(() => gateway.close());

  it('are the configured ones only', async () => {
    assert.equal((await request(gateway.base, '/health')).status, 200);
    assert.equal((await request(gateway.base, '/version')).status, 200);
    assert.equal((await request(gateway.base, '/metrics')).status, 401);
    assert.equal((await request(gateway.base, '/ready')).status, 401);
    assert.equal((await request(gateway.base, '/metrics', { headers: bearer('k') })).status, 200);
  });
});

describe('request ids, headers and error bodies', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway();
  });
  after(() => gateway.close());
  beforeEach(() => {
    gateway.queue.submitError = null;
    gateway.queue.answer = (item) => [scoredResult(item)];
    gateway.logged.length = 0;
  });

  it('echoes a well-formed X-Request-Id and names the answer after it', async () => {
    const id = '3f2a9c1e-7b1d-4c55-9a2e-0c8d2b1e4f6a';
    const rerank = await request(gateway.base, '/v1/rerank', { body: RERANK, headers: { 'x-request-id': id } });
    assert.equal(rerank.headers.get('x-request-id'), id);
    assert.equal((rerank.json as { id: string }).id, `rerank-${id}`);
    const score = await request(gateway.base, '/v1/score', { body: { text_1: 'q', text_2: ['d'] }, headers: { 'x-request-id': 'trace:42' } });
    assert.equal((score.json as { id: string }).id, 'score-trace:42');
  });

  it('replaces a missing or malformed X-Request-Id with one of its own', async () => {
    for (const offered of [undefined, '', 'x'.repeat(129), 'a b', '<script>', 'ünïcode', 'id;drop']) {
      const answer = await request(gateway.base, '/v1/rerank', { body: RERANK, headers: offered === undefined ? {} : { 'x-request-id': offered } });
      const id = answer.headers.get('x-request-id') ?? '';
      assert.match(id, /^id-\d+$/, `offered ${String(offered)}`);
      assert.equal((answer.json as { id: string }).id, `rerank-${id}`);
    }
  });

  it('puts the request id on error answers too', async () => {
    const answer = await request(gateway.base, '/v1/rerank', { body: { query: 1 }, headers: { 'x-request-id': 'bad-body-1' } });
    assert.equal(answer.status, 400);
    assert.equal(answer.headers.get('x-request-id'), 'bad-body-1');
  });

  it('answers a body that does not decompress as its Content-Encoding says with a 400, not a 500', async () => {
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const answer = await request(gateway.base, '/v1/rerank', { rawBody: JSON.stringify(RERANK), headers: { 'content-encoding': encoding } });
      assert.equal(answer.status, 400, encoding);
      assert.match((answer.json as { error: { message: string } }).error.message, /could not be decoded/);
    }
    assert.deepEqual(gateway.logged, []);
  });

  it('sends security headers and no-store on answers and errors', async () => {
    for (const answer of [
      await request(gateway.base, '/v1/rerank', { body: RERANK }),
      await request(gateway.base, '/v1/rerank', { rawBody: '{' }),
      await request(gateway.base, '/nowhere'),
      await request(gateway.base, '/health'),
    ]) {
      assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.equal(answer.headers.get('x-frame-options'), 'DENY');
      assert.match(answer.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.equal(answer.headers.get('x-powered-by'), null);
      assert.equal(answer.headers.get('strict-transport-security'), null);
    }
  });

  it('answers an unexpected failure with a generic message: no stack, no path; the log has both and the request id', async () => {
    const failure = new Error('ENOENT: /srv/rerankd/secret/weights.bin');
    gateway.queue.submitError = failure;
    const answer = await request(gateway.base, '/v1/rerank', { body: RERANK, headers: { 'x-request-id': 'boom-7' } });
    assert.equal(answer.status, 500);
    assert.deepEqual(answer.json, {
      error: { message: 'The server failed to process the request.', type: 'InternalServerError', param: null, code: 500 },
    });
    assert.doesNotMatch(answer.text, /secret|\/srv|at |\.ts|ENOENT/);
    assert.deepEqual(gateway.logged, [failure]);
    assert.match(gateway.loggedMessages.at(-1) ?? '', /POST \/v1\/rerank failed \(request boom-7\)/);
  });
});

describe('cancellation', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway();
  });
  after(() => gateway.close());

  it('cancels the queued items of a request whose client leaves before the answer', async () => {
    gateway.queue.answer = () => []; // the workers never answer
    const submittedBefore = gateway.queue.submitted.length;
    const client = httpRequest(`${gateway.base}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    client.on('error', () => undefined);
    client.end(JSON.stringify(RERANK));
    while (gateway.queue.submitted.length === submittedBefore) await sleep(5);
    const requestId = gateway.queue.submitted.at(-1)?.requestId;
    client.destroy();
    while (!gateway.queue.cancelled.some((c) => c.requestId === requestId)) await sleep(5);
    assert.deepEqual(gateway.queue.cancelled.find((c) => c.requestId === requestId)?.model, MODEL);
    // The gateway goes on answering.
    gateway.queue.answer = (item) => [scoredResult(item)];
    assert.equal((await request(gateway.base, '/v1/rerank', { body: RERANK })).status, 200);
  });

  it('cancels the other items of a request one of whose items failed', async () => {
    gateway.queue.answer = (item) =>
      item.itemId.endsWith('.0')
        ? [{ ok: false, itemId: item.itemId, requestId: item.requestId, workerId: 'w', error: { kind: 'invalid_request', message: 'too long' } }]
        : [];
    const answer = await request(gateway.base, '/v1/rerank', { body: { query: 'q', documents: Array.from({ length: 40 }, (_, i) => `d${i}`) } });
    assert.equal(answer.status, 400);
    const requestId = gateway.queue.submitted.at(-1)?.requestId;
    while (!gateway.queue.cancelled.some((c) => c.requestId === requestId)) await sleep(5);
  });
});

describe('texts longer than any model window', () => {
  const maxModelLen = 16;
  const maxChars = maxModelLen * MAX_CHARACTERS_PER_TOKEN;
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway();
    gateway.queue.workers = [liveWorker(MODEL, maxModelLen)];
  });
  after(() => gateway.close());

  it('are cut before they are queued, at a whole character', async () => {
    const long = `${'x'.repeat(maxChars - 1)}🙂tail`;
    const answer = await request(gateway.base, '/v1/rerank', { body: { query: long, documents: ['short', long], instruction: long } });
    assert.equal(answer.status, 200);
    const item = gateway.queue.submitted.at(-1)!;
    assert.deepEqual(item.pairs.map((p) => [p.query.length, p.document.length]), [[maxChars - 1, 5], [maxChars - 1, maxChars - 1]]);
    assert.equal(item.instruction?.length, maxChars - 1);
    // The answer gives the documents back as they were sent.
    const results = (answer.json as { results: { index: number; document: { text: string } }[] }).results;
    assert.equal(results.find((r) => r.index === 1)?.document.text, long);
  });

  it('are refused with truncate: false, naming the document', async () => {
    const answer = await request(gateway.base, '/v1/rerank', { body: { query: 'q', documents: ['ok', 'y'.repeat(maxChars + 1)], truncate: false } });
    assert.equal(answer.status, 400);
    assert.equal((answer.json as { error: { param: string } }).error.param, 'documents.1');
  });
});
