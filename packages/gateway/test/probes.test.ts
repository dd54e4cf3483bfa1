import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { UnavailableError } from '@rerankd/protocol';
import { liveWorker } from './fake-queue';
import { MODEL, request, startGateway, type TestGateway } from './gateway-server';

describe('models and probes', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway({ servedModelNames: [MODEL, 'idle-model'], version: '1.2.3' });
  });
  after(() => gateway.close());
  beforeEach(() => {
    gateway.queue.workers = [liveWorker(MODEL, 8192)];
    gateway.queue.pingError = null;
  });

  it('lists served models with a live worker in the vLLM shape', async () => {
    gateway.queue.workers = [
      { workerId: 'w1', model: MODEL, maxModelLen: 8192, startedAt: 1_700_000_500 },
      { workerId: 'w2', model: MODEL, maxModelLen: 8192, startedAt: 1_700_000_100 },
      { workerId: 'w3', model: 'not-served', maxModelLen: 512, startedAt: 1_700_000_000 },
    ];
    const answer = await request(gateway.base, '/v1/models');
    assert.equal(answer.status, 200);
    const body = answer.json as { data: { permission: { id: string }[] }[] };
    const permissionId = body.data[0]?.permission[0]?.id ?? '';
    assert.match(permissionId, /^modelperm-/);
    assert.deepEqual(body, {
      object: 'list',
      data: [
        {
          id: MODEL,
          object: 'model',
          created: 1_700_000_100,
          owned_by: 'rerankd',
          root: MODEL,
          parent: null,
          max_model_len: 8192,
          permission: [
            {
              id: permissionId,
              object: 'model_permission',
              created: 1_700_000_100,
              allow_create_engine: false,
              allow_sampling: true,
              allow_logprobs: true,
              allow_search_indices: false,
              allow_view: true,
              allow_fine_tuning: false,
              organization: '*',
              group: null,
              is_blocking: false,
            },
          ],
        },
      ],
    });
  });

  it('/health answers an empty 200; /version the version', async () => {
    const health = await request(gateway.base, '/health');
    assert.equal(health.status, 200);
    assert.equal(health.text, '');
    assert.deepEqual((await request(gateway.base, '/version')).json, { version: '1.2.3' });
  });

  it('/ready is 200 with a live worker and a reachable queue, else 503 in JSON', async () => {
    const ready = await request(gateway.base, '/ready');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.json, { status: 'ready', models: [MODEL] });

    gateway.queue.workers = [];
    const noWorker = await request(gateway.base, '/ready');
    assert.equal(noWorker.status, 503);
    assert.equal((noWorker.json as { error: { type: string } }).error.type, 'ServiceUnavailableError');

    gateway.queue.workers = [liveWorker(MODEL)];
    gateway.queue.pingError = new UnavailableError('Redis cannot be reached.');
    const noQueue = await request(gateway.base, '/ready');
    assert.equal(noQueue.status, 503);
    assert.match((noQueue.json as { error: { message: string } }).error.message, /Redis/);
  });

  it('/metrics counts requests by route and status, with unknown paths under one label', async () => {
    await request(gateway.base, '/v1/rerank', { body: { query: 'q', documents: ['a'], model: MODEL } });
    await request(gateway.base, '/v1/rerank', { body: { query: 'q', documents: ['a'], model: 'nope' } });
    await request(gateway.base, '/some/random/path');
    const answer = await request(gateway.base, '/metrics');
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^text\/plain/);
    const text = answer.text;
    assert.match(text, /rerankd_http_requests_total\{route="\/v1\/rerank",method="POST",status="200"\} 1/);
    assert.match(text, /rerankd_http_requests_total\{route="\/v1\/rerank",method="POST",status="404"\} 1/);
    assert.match(text, /rerankd_http_requests_total\{route="unmatched",method="GET",status="404"\} 1/);
    assert.match(text, /rerankd_http_request_duration_seconds_bucket\{le="0.005",route="\/v1\/rerank",method="POST"\}/);
    assert.match(text, /rerankd_http_requests_in_flight\{route="\/metrics"\} 1/);
    assert.match(text, /rerankd_http_requests_in_flight\{route="\/v1\/rerank"\} 0/);
    assert.doesNotMatch(text, /some\/random/);
  });
});
