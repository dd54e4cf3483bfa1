import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fakeScore, fakeTokens, scoredResult } from './fake-queue';
import { MODEL, request, startGateway, type TestGateway } from './gateway-server';

const QUERY = 'capital of France?';
/** Scores rise with length: the ranking is 2, 0, 1, 3. */
const DOCUMENTS = ['Paris is in France.', 'Bananas', 'The capital of France is Paris.', 'London'];
const RANKING = [2, 0, 1, 3];
const PROMPT_TOKENS = DOCUMENTS.reduce((sum, document) => sum + fakeTokens(QUERY, document), 0);

const withDocuments = (indices: number[]) =>
  indices.map((index) => ({
    index,
    relevance_score: fakeScore(DOCUMENTS[index]!),
    document: { text: DOCUMENTS[index]! },
  }));
const withoutDocuments = (indices: number[]) =>
  indices.map((index) => ({ index, relevance_score: fakeScore(DOCUMENTS[index]!) }));

describe('rerank', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway();
  });
  after(() => gateway.close());

  it('answers /v1/rerank in the vLLM and Jina shape, with documents, sorted by score', async () => {
    const answer = await request(gateway.base, '/v1/rerank', { body: { model: MODEL, query: QUERY, documents: DOCUMENTS } });
    assert.equal(answer.status, 200);
    const body = answer.json as { id: string };
    assert.match(body.id, /^rerank-id-\d+$/);
    assert.deepEqual(body, {
      id: body.id,
      model: MODEL,
      usage: { prompt_tokens: PROMPT_TOKENS, total_tokens: PROMPT_TOKENS },
      results: withDocuments(RANKING),
      meta: { api_version: { version: '1' }, tokens: { input_tokens: PROMPT_TOKENS } },
    });
  });

  it('cuts to top_n, and returns everything for top_n 0', async () => {
    const top2 = await request(gateway.base, '/v1/rerank', { body: { query: QUERY, documents: DOCUMENTS, top_n: 2 } });
    assert.deepEqual((top2.json as { results: unknown }).results, withDocuments([2, 0]));
    const all = await request(gateway.base, '/v1/rerank', { body: { query: QUERY, documents: DOCUMENTS, top_n: 0 } });
    assert.deepEqual((all.json as { results: unknown }).results, withDocuments(RANKING));
  });

  it('leaves documents out, rather than null, when return_documents is false', async () => {
    const answer = await request(gateway.base, '/v1/rerank', {
      body: { query: QUERY, documents: DOCUMENTS, return_documents: false, top_n: null },
    });
    assert.deepEqual((answer.json as { results: unknown }).results, withoutDocuments(RANKING));
  });

  it('accepts Cohere v1 {text} documents', async () => {
    const answer = await request(gateway.base, '/v1/rerank', {
      body: { query: QUERY, documents: DOCUMENTS.map((text) => ({ text })), top_n: 1 },
    });
    assert.deepEqual((answer.json as { results: unknown }).results, withDocuments([2]));
  });

  it('serves /v1/v1/rerank, where a Cohere client with base URL .../v1 posts', async () => {
    const answer = await request(gateway.base, '/v1/v1/rerank', { body: { model: MODEL, query: QUERY, documents: DOCUMENTS } });
    assert.equal(answer.status, 200);
    assert.deepEqual((answer.json as { results: unknown }).results, withDocuments(RANKING));
  });

  it('answers /v2/rerank as Cohere v2: no documents unless asked, api version 2', async () => {
    const plain = await request(gateway.base, '/v2/rerank', { body: { model: MODEL, query: QUERY, documents: DOCUMENTS } });
    const body = plain.json as { results: unknown; meta: unknown };
    assert.deepEqual(body.results, withoutDocuments(RANKING));
    assert.deepEqual(body.meta, { api_version: { version: '2' }, tokens: { input_tokens: PROMPT_TOKENS } });
    const asked = await request(gateway.base, '/v2/rerank', {
      body: { model: MODEL, query: QUERY, documents: DOCUMENTS, return_documents: true },
    });
    assert.deepEqual((asked.json as { results: unknown }).results, withDocuments(RANKING));
  });

  it('answers the Cohere shape on /rerank when the body has documents', async () => {
    const answer = await request(gateway.base, '/rerank', { body: { model: MODEL, query: QUERY, documents: DOCUMENTS } });
    assert.deepEqual((answer.json as { results: unknown }).results, withDocuments(RANKING));
  });

  it('answers the TEI shape on /rerank when the body has texts', async () => {
    const plain = await request(gateway.base, '/rerank', { body: { query: QUERY, texts: DOCUMENTS } });
    assert.equal(plain.status, 200);
    assert.deepEqual(
      plain.json,
      RANKING.map((index) => ({ index, score: fakeScore(DOCUMENTS[index]!) })),
    );
    const withText = await request(gateway.base, '/rerank', { body: { query: QUERY, texts: DOCUMENTS, return_text: true } });
    assert.deepEqual(
      withText.json,
      RANKING.map((index) => ({ index, score: fakeScore(DOCUMENTS[index]!), text: DOCUMENTS[index] })),
    );
  });

  it('returns logits for TEI raw_scores and vLLM use_activation:false', async () => {
    // The fake's score is 1 - 1/(1 + length): its logit is ln(length).
    const tei = await request(gateway.base, '/rerank', { body: { query: QUERY, texts: DOCUMENTS, raw_scores: true } });
    for (const { index, score } of tei.json as { index: number; score: number }[]) {
      assert.ok(Math.abs(score - Math.log(DOCUMENTS[index]!.length)) < 1e-9);
    }
    const vllm = await request(gateway.base, '/v1/rerank', { body: { query: QUERY, documents: DOCUMENTS, use_activation: false } });
    for (const { index, relevance_score } of (vllm.json as { results: { index: number; relevance_score: number }[] }).results) {
      assert.ok(Math.abs(relevance_score - Math.log(DOCUMENTS[index]!.length)) < 1e-9);
    }
  });

  it('passes instruction and truncate to the work items; truncation is on by default', async () => {
    gateway.queue.submitted.length = 0;
    await request(gateway.base, '/v1/rerank', { body: { query: QUERY, documents: DOCUMENTS } });
    await request(gateway.base, '/v1/rerank', {
      body: { query: QUERY, documents: DOCUMENTS, instruction: 'Find capitals', truncate: false },
    });
    await request(gateway.base, '/rerank', { body: { query: QUERY, texts: DOCUMENTS, truncate: false } });
    const [defaults, explicit, tei] = gateway.queue.submitted;
    assert.equal(defaults?.truncate, true);
    assert.equal(defaults?.instruction, undefined);
    assert.equal(explicit?.truncate, false);
    assert.equal(explicit?.instruction, 'Find capitals');
    assert.equal(tei?.truncate, false);
  });

  it('answers 400 with the worker message when a pair is too long and truncation is off', async () => {
    const message = "This model's maximum context length is 512 tokens; the pair has 900.";
    gateway.queue.answer = (item) => [
      { ok: false, itemId: item.itemId, requestId: item.requestId, workerId: 'worker-1', error: { kind: 'invalid_request', message } },
    ];
    try {
      const answer = await request(gateway.base, '/v1/rerank', { body: { query: QUERY, documents: DOCUMENTS, truncate: false } });
      assert.equal(answer.status, 400);
      assert.deepEqual(answer.json, { error: { message, type: 'BadRequestError', param: null, code: 400 } });
    } finally {
      gateway.queue.answer = (item) => [scoredResult(item)];
    }
  });
});
