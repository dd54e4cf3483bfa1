import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fixtureModelDir, startRedis, startRerankd, type RedisServer, type RerankdProcess } from '@rerankd/testing';
import { missingFromScrapes } from './dashboard-queries';
import { scrape, sumOf, type Sample } from './promql';

const MODEL = 'qwen3-tiny';
const WORKER_ID = 'metrics-worker-1';
const PAIRS_PER_ITEM = 4;
const MAX_MODEL_LEN = 256;
const documents = (n: number, salt: string) => Array.from({ length: n }, (_, i) => `${salt} document ${i}: ${'blocks of tokens '.repeat(1 + (i % 4))}`);
/** A query long enough to fill KV blocks of its own beyond the shared system prompt. */
const longQuery = (salt: string) => `${salt}: which of these passages explains how a paged key-value cache lets many documents share the prefix of one query?`;

describe('metrics of a gateway and a worker over Redis, under scripted traffic', () => {
  let redis: RedisServer;
  let gateway: RerankdProcess;
  let worker: RerankdProcess;
  let itemsSent = 0;
  const post = (path: string, body: unknown) =>
    fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  /** Sends a request of `pairs` pairs and counts the work items it becomes. */
  const send = async (path: string, body: unknown, pairs: number, status = 200) => {
    const response = await post(path, body);
    assert.equal(response.status, status, `${path}: ${await response.clone().text()}`);
    itemsSent += Math.ceil(pairs / PAIRS_PER_ITEM);
    return response;
  };
  const scrapeBoth = async (): Promise<{ gw: Sample[]; wk: Sample[] }> => {
    const [gw, wk] = await Promise.all([scrape(gateway.url), scrape(worker.url)]);
    return { gw, wk };
  };

  before(async () => {
    redis = await startRedis();
    worker = await startRerankd(
      ['worker', fixtureModelDir('qwen3-tiny-tied'), '--served-model-name', MODEL, '--redis-url', redis.url, '--worker-id', WORKER_ID, '--max-model-len', String(MAX_MODEL_LEN), '--threads', '1'],
      { portFlag: '--metrics-port' },
    );
    gateway = await startRerankd(['gateway', '--redis-url', redis.url, '--max-pairs-per-item', String(PAIRS_PER_ITEM), '--request-timeout-ms', '30000']);
    // The gateway serves the model once the worker's announcement is visible.
    for (let i = 0; i < 100 && (await fetch(`${gateway.url}/ready`)).status !== 200; i++) await sleep(100);
  });
  after(async () => {
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await redis?.stop();
  });

  test('pairs, tokens, items and step histograms grow by exactly the pairs sent, in every dialect', async () => {
    const before = await scrapeBoth();
    const query = 'what makes continuous batching efficient?';
    const rerank = await send('/v1/rerank', { model: MODEL, query, documents: documents(10, 'a') }, 10);
    const usage = ((await rerank.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens;
    await send('/v2/rerank', { model: MODEL, query, documents: documents(5, 'b') }, 5);
    await send('/v1/score', { model: MODEL, text_1: query, text_2: documents(3, 'c') }, 3);
    await send('/rerank', { query, texts: documents(2, 'd') }, 2);
    const after = await scrapeBoth();
    const grew = (samples: 'gw' | 'wk', name: string, where: Record<string, string> = {}) => sumOf(after[samples], name, where) - sumOf(before[samples], name, where);
    const labels = { model: MODEL, worker: WORKER_ID };

    assert.equal(grew('wk', 'rerankd_worker_pairs_total', labels), 20);
    assert.equal(grew('wk', 'rerankd_step_pairs_sum', labels), 20, 'every pair is scored in exactly one step');
    assert.equal(grew('wk', 'rerankd_worker_items_total', { ...labels, outcome: 'ok' }), 3 + 2 + 1 + 1);
    assert.equal(grew('wk', 'rerankd_worker_item_duration_seconds_count', labels), 7);
    assert.equal(grew('wk', 'rerankd_queue_wait_seconds_count', labels), 7, 'queue wait is measured for every item');
    assert.ok(grew('wk', 'rerankd_worker_prompt_tokens_total', labels) > usage, 'prompt tokens of all four requests');
    for (const name of ['rerankd_engine_step_duration_seconds_count', 'rerankd_step_pairs_count', 'rerankd_step_tokens_count', 'rerankd_step_padding_ratio_count']) {
      assert.ok(grew('wk', name, labels) >= 1, `${name} grew`);
    }
    assert.equal(grew('wk', 'rerankd_step_tokens_sum', labels), grew('wk', 'rerankd_computed_tokens_total', labels));
    assert.ok(grew('wk', 'rerankd_computed_tokens_total', labels) > 0);
    assert.ok(grew('wk', 'rerankd_padding_tokens_total', labels) >= 0);

    assert.equal(grew('gw', 'rerankd_request_pairs_sum', { model: MODEL }), 20);
    assert.equal(grew('gw', 'rerankd_request_pairs_count', { model: MODEL }), 4);
    for (const route of ['/v1/rerank', '/v2/rerank', '/v1/score', '/rerank']) {
      assert.equal(grew('gw', 'rerankd_request_duration_seconds_count', { model: MODEL, route }), 1, route);
    }
    assert.ok(grew('gw', 'rerankd_request_prompt_tokens_sum', { model: MODEL }) >= usage);
    assert.equal(grew('gw', 'rerankd_http_requests_total', { route: '/v1/rerank', method: 'POST', status: '200' }), 1);
  });

  test('prefix-cache hits grow when the same query comes again', async () => {
    const labels = { model: MODEL, worker: WORKER_ID };
    const prefixCounters = async () => {
      const samples = await scrape(worker.url);
      return { queries: sumOf(samples, 'rerankd_prefix_cache_queries_total', labels), hits: sumOf(samples, 'rerankd_prefix_cache_hits_total', labels) };
    };
    const query = longQuery(`q-${Date.now()}`);
    const start = await prefixCounters();
    await send('/v1/rerank', { model: MODEL, query, documents: documents(2, 'e') }, 2);
    const first = await prefixCounters();
    await send('/v1/rerank', { model: MODEL, query, documents: documents(2, 'f') }, 2);
    const second = await prefixCounters();
    const firstHits = first.hits - start.hits;
    const secondHits = second.hits - first.hits;
    const secondQueries = second.queries - first.queries;
    assert.ok(first.queries - start.queries > firstHits, `a new query misses part of its prefix (${firstHits} of ${first.queries - start.queries} tokens hit)`);
    assert.ok(secondQueries > 0);
    assert.equal(secondHits, secondQueries, 'the same query again finds its whole prefix cached');
    assert.ok(secondHits > firstHits);
    const ratio = sumOf(await scrape(worker.url), 'rerankd_kv_cache_usage_ratio', labels);
    assert.ok(ratio >= 0 && ratio <= 1, `KV-cache usage ${ratio}`);
  });

  test('a too-long pair with truncate:false is a 400 counted as invalid_request on both sides; an unknown model as not_found', async () => {
    const before = await scrapeBoth();
    const tooLong = 'far too long '.repeat(MAX_MODEL_LEN);
    const response = await send('/v1/rerank', { model: MODEL, query: 'q', documents: [tooLong], truncate: false }, 1, 400);
    assert.equal(((await response.json()) as { error: { code: number } }).error.code, 400);
    const unknown = await post('/v1/rerank', { model: 'no-such-model', query: 'q', documents: ['d'] });
    assert.equal(unknown.status, 404);
    const after = await scrapeBoth();
    const grew = (samples: 'gw' | 'wk', name: string, where: Record<string, string>) => sumOf(after[samples], name, where) - sumOf(before[samples], name, where);
    assert.equal(grew('gw', 'rerankd_request_errors_total', { route: '/v1/rerank', kind: 'invalid_request' }), 1);
    assert.equal(grew('gw', 'rerankd_request_errors_total', { route: '/v1/rerank', kind: 'not_found' }), 1);
    assert.equal(grew('gw', 'rerankd_request_duration_seconds_count', { model: MODEL, route: '/v1/rerank' }), 1, 'the failed request reached the model; the unknown one did not');
    assert.equal(grew('wk', 'rerankd_worker_errors_total', { model: MODEL, worker: WORKER_ID, kind: 'invalid_request' }), 1);
    assert.equal(grew('wk', 'rerankd_worker_items_total', { model: MODEL, worker: WORKER_ID, outcome: 'error' }), 1);
    assert.equal(grew('wk', 'rerankd_worker_pairs_total', { model: MODEL, worker: WORKER_ID }), 0);
  });

  test('when the traffic is over the queue is empty, nothing is pending and the engine holds no request', async () => {
    // The worker acknowledges an item just after publishing its result: allow it a moment.
    let gw: Sample[] = [];
    for (let i = 0; i < 50; i++) {
      gw = await scrape(gateway.url);
      if (sumOf(gw, 'rerankd_queue_pending', { model: MODEL }) === 0) break;
      await sleep(100);
    }
    assert.equal(sumOf(gw, 'rerankd_queue_scrape_ok'), 1);
    assert.ok(gw.some((s) => s.name === 'rerankd_queue_depth' && s.labels.model === MODEL), 'queue depth is reported for the model');
    assert.equal(sumOf(gw, 'rerankd_queue_depth', { model: MODEL }), 0);
    assert.equal(sumOf(gw, 'rerankd_queue_pending', { model: MODEL }), 0);
    assert.equal(sumOf(gw, 'rerankd_queue_dead_letters', { model: MODEL }), 0);
    assert.equal(sumOf(gw, 'rerankd_workers_live', { model: MODEL }), 1);
    const wk = await scrape(worker.url);
    assert.equal(sumOf(wk, 'rerankd_num_requests_running', { model: MODEL }), 0);
    assert.equal(sumOf(wk, 'rerankd_num_requests_waiting', { model: MODEL }), 0);
    assert.equal(sumOf(wk, 'rerankd_worker_info', { model: MODEL, worker: WORKER_ID, device: 'cpu' }), 1);
    assert.equal(sumOf(wk, 'rerankd_queue_wait_seconds_count', { model: MODEL, worker: WORKER_ID }), itemsSent);
  });

  test('every metric the Grafana dashboard queries is exported by the gateway or the worker', async () => {
    assert.deepEqual(missingFromScrapes([await scrape(gateway.url), await scrape(worker.url)]), []);
  });
});
