import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { QueueFullError, UnavailableError } from '@rerankd/protocol';
import { liveWorker, scoredResult } from './fake-queue';
import { MODEL, request, startGateway, type Answer, type TestGateway } from './gateway-server';

const RERANK = { query: 'q', documents: ['a', 'bb'] };

function assertError(answer: Answer, status: number, type: string, param: string | null, message?: RegExp): void {
  assert.equal(answer.status, status);
  assert.match(answer.headers.get('content-type') ?? '', /application\/json/);
  const { error } = answer.json as { error: { message: string; type: string; param: string | null; code: number } };
  assert.deepEqual(Object.keys(error), ['message', 'type', 'param', 'code']);
  assert.equal(error.type, type);
  assert.equal(error.param, param);
  assert.equal(error.code, status);
  if (message) assert.match(error.message, message);
}

describe('errors', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway({ limits: { maxBodyBytes: 1000, maxDocumentsPerRequest: 3 } });
  });
  after(() => gateway.close());
  beforeEach(() => {
    gateway.queue.workers = [liveWorker(MODEL)];
    gateway.queue.submitError = null;
    gateway.queue.answer = (item) => [scoredResult(item)];
  });

  it('400 for a body that is not JSON', async () => {
    const answer = await request(gateway.base, '/v1/rerank', { rawBody: '{"query": ' });
    assertError(answer, 400, 'BadRequestError', null, /not valid JSON/);
  });

  it('400 naming the invalid field', async () => {
    assertError(await request(gateway.base, '/v1/rerank', { body: { documents: ['a'] } }), 400, 'BadRequestError', 'query', /^query: /);
    assertError(await request(gateway.base, '/v1/rerank', { body: { ...RERANK, top_n: -1 } }), 400, 'BadRequestError', 'top_n');
    assertError(await request(gateway.base, '/v1/rerank', { body: { query: 'q', documents: ['a', 7] } }), 400, 'BadRequestError', 'documents.1');
    assertError(await request(gateway.base, '/v1/rerank', { body: { query: 'q', documents: [] } }), 400, 'BadRequestError', 'documents');
    assertError(await request(gateway.base, '/rerank', { body: { query: 'q', texts: ['a'], truncation_direction: 'left' } }), 400, 'BadRequestError', 'truncation_direction');
  });

  it('400 naming the limit when there are too many documents', async () => {
    const answer = await request(gateway.base, '/v1/rerank', { body: { query: 'q', documents: ['a', 'b', 'c', 'd'] } });
    assertError(answer, 400, 'BadRequestError', 'documents', /at most 3 documents per request \(got 4\)/);
    const tei = await request(gateway.base, '/rerank', { body: { query: 'q', texts: ['a', 'b', 'c', 'd'] } });
    assertError(tei, 400, 'BadRequestError', 'texts', /at most 3/);
  });

  it('404 in JSON for an unknown path or method', async () => {
    assertError(await request(gateway.base, '/v1/nothing'), 404, 'NotFoundError', null, /No route for GET \/v1\/nothing/);
    assertError(await request(gateway.base, '/v1/rerank'), 404, 'NotFoundError', null);
  });

  it('404 for a model that is not served', async () => {
    const answer = await request(gateway.base, '/v1/rerank', { body: { ...RERANK, model: 'gpt-4' } });
    assertError(answer, 404, 'NotFoundError', 'model', /The model `gpt-4` does not exist\./);
  });

  it('413 for a body over the limit', async () => {
    const answer = await request(gateway.base, '/v1/rerank', { body: { query: 'q', documents: ['x'.repeat(2000)] } });
    assertError(answer, 413, 'PayloadTooLargeError', null, /1000 bytes/);
  });

  it('429 with Retry-After when the queue is full', async () => {
    gateway.queue.submitError = new QueueFullError('The queue of model qwen3-reranker is full.', 7);
    const answer = await request(gateway.base, '/v1/rerank', { body: RERANK });
    assertError(answer, 429, 'RateLimitError', null, /is full/);
    assert.equal(answer.headers.get('retry-after'), '7');
  });

  it('503 when no worker serves the model, or the queue is unavailable', async () => {
    gateway.queue.workers = [liveWorker('another-model')];
    assertError(await request(gateway.base, '/v1/rerank', { body: RERANK }), 503, 'ServiceUnavailableError', null, /No worker/);
    gateway.queue.workers = [liveWorker(MODEL)];
    gateway.queue.submitError = new UnavailableError('Redis cannot be reached.');
    assertError(await request(gateway.base, '/v1/rerank', { body: RERANK }), 503, 'ServiceUnavailableError', null, /Redis/);
  });

  it('500 with a generic message for unexpected errors, the detail only in the log', async () => {
    gateway.queue.submitError = new Error('socket closed by 10.0.0.7');
    const answer = await request(gateway.base, '/v1/rerank', { body: RERANK });
    assertError(answer, 500, 'InternalServerError', null, /^The server failed to process the request\.$/);
    assert.doesNotMatch(answer.text, /10\.0\.0\.7|at /);
    assert.match(String(gateway.logged.at(-1)), /10\.0\.0\.7/);
  });
});

describe('errors with several models served', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway({ servedModelNames: ['small', 'large'] });
  });
  after(() => gateway.close());

  it('400 when the model is omitted', async () => {
    const answer = await request(gateway.base, '/v1/rerank', { body: RERANK });
    assertError(answer, 400, 'BadRequestError', 'model', /model is required: this server serves small, large/);
  });
});

describe('request timeout', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway({ limits: { requestTimeoutMs: 50 } });
    gateway.queue.answer = () => [];
  });
  after(() => gateway.close());

  it('504 when the results do not arrive before the deadline', async () => {
    const answer = await request(gateway.base, '/v1/rerank', { body: RERANK });
    assertError(answer, 504, 'GatewayTimeoutError', null, /within 50 ms/);
  });
});

describe('API keys', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway({ apiKeys: ['key-one', 'key-two'] });
  });
  after(() => gateway.close());

  it('401 without a key or with a wrong one, on every route but the probes and /metrics', async () => {
    for (const path of ['/v1/rerank', '/score', '/v1/models', '/version', '/unknown']) {
      const answer = await request(gateway.base, path);
      assertError(answer, 401, 'AuthenticationError', null);
      assert.equal(answer.headers.get('www-authenticate'), 'Bearer');
    }
    const wrong = await request(gateway.base, '/v1/rerank', { body: RERANK, headers: { authorization: 'Bearer key-three' } });
    assertError(wrong, 401, 'AuthenticationError', null);
    assert.equal((await request(gateway.base, '/health')).status, 200);
    assert.equal((await request(gateway.base, '/metrics')).status, 200);
    assert.equal((await request(gateway.base, '/ready')).status, 200);
  });

  it('accepts any configured key as a Bearer token or as x-api-key', async () => {
    const bearer = await request(gateway.base, '/v1/rerank', { body: RERANK, headers: { authorization: 'Bearer key-two' } });
    assert.equal(bearer.status, 200);
    const header = await request(gateway.base, '/v1/rerank', { body: RERANK, headers: { 'x-api-key': 'key-one' } });
    assert.equal(header.status, 200);
  });
});
