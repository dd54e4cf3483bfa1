import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fixtureModelDir, startRerankd, startTlsRedis, type RerankdProcess, type TlsRedisServer } from '@rerankd/testing';

let redis: TlsRedisServer;
let worker: RerankdProcess;
let gateway: RerankdProcess;

before(async () => {
  redis = await startTlsRedis('s3cret/with:odd@chars');
  // The certificate is self-signed: the processes trust it the standard Node.js way.
  const env = { NODE_EXTRA_CA_CERTS: redis.caFile };
  worker = await startRerankd(['worker', fixtureModelDir('bert-tiny-ce'), '--served-model-name', 'bert', '--redis-url', redis.url], { portFlag: '--metrics-port', env });
  gateway = await startRerankd(['gateway', '--redis-url', redis.url], { env });
});
after(async () => {
  await Promise.all([gateway?.stop(), worker?.stop()]);
  await redis?.stop();
});

test('gateway and worker meet through rediss:// with a password', async () => {
  const response = await fetch(`${gateway.url}/v1/rerank`, { method: 'POST', body: JSON.stringify({ model: 'bert', query: 'what is paris', documents: ['paris is in france', 'bananas'] }) });
  assert.equal(response.status, 200);
  const body = (await response.json()) as { results: unknown[] };
  assert.equal(body.results.length, 2);
  assert.doesNotMatch(gateway.stderr() + worker.stderr(), /s3cret/, 'the password is never printed');
});
