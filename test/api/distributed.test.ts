import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fixtureModelDir, startRedis, startRerankd, type RedisServer, type RerankdProcess } from '@rerankd/testing';
import { assertScoresByIndex, directScores } from './expected-scores';

const MODEL_NAME = 'qwen3-tiny';
const QUERY = 'how do paged KV caches speed up reranking?';
const documents = (n: number, salt = '') => Array.from({ length: n }, (_, i) => `${salt}document ${i}: ${'tokens and blocks '.repeat(1 + (i % 7))}`);

interface RerankBody {
  results: { index: number; relevance_score: number }[];
}

describe('rerankd gateway + workers over Redis', () => {
  const modelDir = fixtureModelDir('qwen3-tiny-tied');
  let redis: RedisServer;
  let gateway: RerankdProcess;
  const workers: RerankdProcess[] = [];
  const startWorker = () =>
    startRerankd(
      ['worker', modelDir, '--served-model-name', MODEL_NAME, '--redis-url', redis.url, '--reclaim-idle-ms', '1500', '--heartbeat-ttl-ms', '3000', '--threads', '1'],
      { portFlag: '--metrics-port' },
    );
  const rerank = (docs: string[], query = QUERY) =>
    fetch(`${gateway.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL_NAME, query, documents: docs }) });
  const pairsScored = async (worker: RerankdProcess) => {
    const text = await (await fetch(`${worker.url}/metrics`)).text();
    return Number(/^rerankd_worker_pairs_total\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
  };

  before(async () => {
    redis = await startRedis();
    workers.push(...(await Promise.all([startWorker(), startWorker()])));
    gateway = await startRerankd(['gateway', '--redis-url', redis.url, '--max-pairs-per-item', '8', '--request-timeout-ms', '30000']);
  });
  after(async () => {
    await Promise.all([gateway?.stop(), ...workers.map((w) => w.stop())]);
    await redis?.stop();
  });

  test('the gateway lists the model of its live workers', async () => {
    const models = (await (await fetch(`${gateway.url}/v1/models`)).json()) as { data: { id: string }[] };
    assert.deepEqual(models.data.map((m) => m.id), [MODEL_NAME]);
    assert.equal((await fetch(`${gateway.url}/ready`)).status, 200);
    const unknown = await fetch(`${gateway.url}/v1/rerank`, { method: 'POST', body: JSON.stringify({ model: 'nope', query: 'q', documents: ['d'] }) });
    assert.equal(unknown.status, 404);
  });

  test('every dialect answers with the scores of rerankd score', async () => {
    const docs = documents(6);
    const expected = await directScores(modelDir, QUERY, docs);
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(response.status, 200, path);
      return response.json() as Promise<unknown>;
    };
    for (const path of ['/v1/rerank', '/rerank', '/v2/rerank', '/v1/v1/rerank']) {
      const body = (await post(path, { model: MODEL_NAME, query: QUERY, documents: docs })) as RerankBody;
      assertScoresByIndex(body.results.map((r) => ({ index: r.index, score: r.relevance_score })), expected, path);
    }
    for (const path of ['/v1/score', '/score']) {
      const body = (await post(path, { model: MODEL_NAME, text_1: QUERY, text_2: docs })) as { data: { index: number; score: number }[] };
      assertScoresByIndex(body.data, expected, path);
    }
    assertScoresByIndex((await post('/rerank', { query: QUERY, texts: docs })) as { index: number; score: number }[], expected, 'TEI');
  });

  test('several models behind one gateway: each request reaches its own model', async () => {
    const bertDir = fixtureModelDir('bert-tiny-ce');
    const bert = await startRerankd(['worker', bertDir, '--served-model-name', 'bert-tiny', '--redis-url', redis.url, '--threads', '1'], { portFlag: '--metrics-port' });
    try {
      const models = (await (await fetch(`${gateway.url}/v1/models`)).json()) as { data: { id: string }[] };
      assert.deepEqual(models.data.map((m) => m.id).sort(), ['bert-tiny', MODEL_NAME]);
      const docs = documents(4);
      const response = await fetch(`${gateway.url}/v1/rerank`, { method: 'POST', body: JSON.stringify({ model: 'bert-tiny', query: QUERY, documents: docs }) });
      const body = (await response.json()) as RerankBody;
      assertScoresByIndex(body.results.map((r) => ({ index: r.index, score: r.relevance_score })), await directScores(bertDir, QUERY, docs));
      // Without a model name the gateway cannot choose: it says which exist.
      const ambiguous = await fetch(`${gateway.url}/v1/rerank`, { method: 'POST', body: JSON.stringify({ query: QUERY, documents: docs }) });
      assert.equal(ambiguous.status, 400);
    } finally {
      await bert.stop();
    }
  });

  test('a request for 1,000 documents is shared by both workers and merges to the single-worker answer', async () => {
    const docs = documents(1000);
    const before = await Promise.all(workers.map(pairsScored));
    const [response, expected] = await Promise.all([rerank(docs), directScores(modelDir, QUERY, docs)]);
    assert.equal(response.status, 200);
    const body = (await response.json()) as RerankBody;
    assert.equal(body.results.length, 1000);
    assertScoresByIndex(body.results.map((r) => ({ index: r.index, score: r.relevance_score })), expected);
    const after = await Promise.all(workers.map(pairsScored));
    const shares = after.map((n, i) => n - (before[i] as number));
    assert.equal(shares.reduce((a, b) => a + b, 0), 1000);
    assert.ok(shares.every((n) => n > 0), `both workers scored part of it: ${shares.join(' + ')}`);
  });

  test('SIGKILL of one worker under 120 concurrent requests loses nothing', async () => {
    const requests = Array.from({ length: 120 }, (_, r) => documents(20, `r${r} `));
    const expected = await Promise.all(requests.slice(0, 3).map((docs) => directScores(modelDir, QUERY, docs)));
    let answered = 0;
    const pending = requests.map(async (docs) => {
      const response = await rerank(docs);
      answered++;
      return { status: response.status, body: (await response.json()) as RerankBody };
    });
    while (answered < 5) await sleep(5);
    await workers[0]?.kill();
    const outcomes = await Promise.all(pending);
    for (const [r, { status, body }] of outcomes.entries()) {
      assert.equal(status, 200, `request ${r}: ${JSON.stringify(body)}`);
      assert.deepEqual(body.results.map((x) => x.index).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
      if (r < expected.length) assertScoresByIndex(body.results.map((x) => ({ index: x.index, score: x.relevance_score })), expected[r] as number[]);
    }
    workers[0] = await startWorker();
  });

  test('with Redis down requests get 503 JSON and /ready fails; when it is back they succeed', async () => {
    await redis.stop();
    const down = await rerank(documents(3));
    assert.equal(down.status, 503);
    const body = (await down.json()) as { error: { code: number; message: string } };
    assert.equal(body.error.code, 503);
    assert.equal((await fetch(`${gateway.url}/ready`)).status, 503);

    await redis.restart();
    // Workers re-announce on their next heartbeat.
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await rerank(documents(3))).status;
      if (status === 200) break;
      await sleep(250);
    }
    assert.equal(status, 200);
    assert.equal((await fetch(`${gateway.url}/ready`)).status, 200);
  });
});
