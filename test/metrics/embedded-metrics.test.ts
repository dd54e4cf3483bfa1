import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fixtureModelDir, startRerankd, type RerankdProcess } from '@rerankd/testing';
import { missingFromScrapes } from './dashboard-queries';
import { scrape, sumOf } from './promql';

const MODEL = 'qwen3-tiny';

describe('rerankd serve: gateway and worker metrics on one /metrics', () => {
  let server: RerankdProcess;
  const post = (path: string, body: unknown) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    server = await startRerankd(['serve', fixtureModelDir('qwen3-tiny-tied'), '--served-model-name', MODEL, '--max-model-len', '128', '--threads', '1']);
  });
  after(() => server.stop());

  test('scripted traffic moves both sets, and the dashboard finds every metric it queries', async () => {
    const before = await scrape(server.url);
    // The queue gauges are read during the scrape that shows them, the first one included.
    assert.equal(sumOf(before, 'rerankd_workers_live', { model: MODEL }), 1);
    assert.equal(sumOf(before, 'rerankd_queue_scrape_ok'), 1);
    const query = 'where do cached prefixes live?';
    assert.equal((await post('/v1/rerank', { model: MODEL, query, documents: ['in KV blocks', 'in the pool', 'nowhere'] })).status, 200);
    assert.equal((await post('/v1/rerank', { model: MODEL, query, documents: ['in KV blocks again'] })).status, 200);
    assert.equal((await post('/v1/rerank', { model: MODEL, query, documents: ['long '.repeat(200)], truncate: false })).status, 400);
    const after = await scrape(server.url);
    const grew = (name: string, where: Record<string, string> = {}) => sumOf(after, name, where) - sumOf(before, name, where);

    assert.equal(grew('rerankd_worker_pairs_total', { model: MODEL }), 4);
    assert.equal(grew('rerankd_request_pairs_sum', { model: MODEL }), 5, 'the gateway counts the pairs of the failed request too');
    assert.equal(grew('rerankd_step_pairs_sum', { model: MODEL }), 4);
    assert.ok(grew('rerankd_prefix_cache_hits_total', { model: MODEL }) > 0, 'the second request reuses the first one\'s prefix');
    assert.equal(grew('rerankd_request_errors_total', { route: '/v1/rerank', kind: 'invalid_request' }), 1);
    assert.equal(grew('rerankd_worker_errors_total', { model: MODEL, kind: 'invalid_request' }), 1);
    assert.equal(sumOf(after, 'rerankd_queue_depth', { model: MODEL }), 0);
    assert.equal(sumOf(after, 'rerankd_workers_live', { model: MODEL }), 1);
    assert.ok(after.some((s) => s.name === 'rerankd_process_start_time_seconds'), 'process metrics');
    assert.deepEqual(missingFromScrapes([after]), []);
  });
});
