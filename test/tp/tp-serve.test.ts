import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fixtureModelDir, startRerankd, type RerankdProcess } from '@rerankd/testing';
import { directScores } from '../api/expected-scores';
import { maxDelta } from './cli';

const MODEL_NAME = 'qwen3-tiny';
const QUERY = 'how do paged KV caches speed up reranking?';
const DOCUMENTS = Array.from({ length: 12 }, (_, i) => `document ${i}: ${'blocks of keys and values '.repeat(1 + (i % 5))}`);

describe('rerankd serve --tp 2 answers /v1/rerank with the scores of TP=1', () => {
  const model = fixtureModelDir('qwen3-tiny-tied');
  let server: RerankdProcess;
  let expected: number[];
  before(async () => {
    [server, expected] = await Promise.all([
      startRerankd(['serve', model, '--tp', '2', '--threads', '1', '--served-model-name', MODEL_NAME]),
      directScores(model, QUERY, DOCUMENTS),
    ]);
  });
  after(() => server?.stop());

  test('POST /v1/rerank', async (t) => {
    for (let round = 0; round < 2; round++) {
      const response = await fetch(`${server.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL_NAME, query: QUERY, documents: DOCUMENTS }) });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { results: { index: number; relevance_score: number }[] };
      const byIndex = new Array<number>(DOCUMENTS.length);
      for (const r of body.results) byIndex[r.index] = r.relevance_score;
      t.diagnostic(`round ${round} (${round ? 'prefix cached' : 'prefix computed'}): max |Δscore| ${maxDelta(byIndex, expected, 1e-4).toExponential(2)}`);
    }
    assert.match(server.stderr(), /tensor-parallel group of 2 linked/);
  });

  test('SIGTERM drains the group and exits 0', async () => {
    assert.equal(await server.stop(), 0);
    assert.match(server.stderr(), /session [0-9a-f-]+ ended/);
  });
});
