import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CohereClient, CohereClientV2 } from 'cohere-ai';
import OpenAI from 'openai';
import { fixtureModelDir, startRerankd, type RerankdProcess } from '@rerankd/testing';
import { assertScoresByIndex, directScores } from './expected-scores';

const API_KEY = 'test-key';
const MODEL_NAME = 'qwen3-reranker';
const QUERY = 'What is the capital of China?';
const DOCUMENTS = [
  'The capital of China is Beijing.',
  'Gravity is a force that attracts two bodies towards each other.',
  '',
  'Beijing has been the political centre of the country for centuries.',
  'def score(q, d):\n    return model(q, d).logits[:, -1]\n',
];

describe('rerankd serve (embedded) speaks every dialect with the scores of rerankd score', () => {
  const modelDir = fixtureModelDir('qwen3-tiny-tied');
  let server: RerankdProcess;
  let expected: number[];
  const post = (path: string, body: unknown, key = API_KEY) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });

  before(async () => {
    [server, expected] = await Promise.all([
      startRerankd(['serve', modelDir, '--served-model-name', MODEL_NAME, '--api-key', API_KEY]),
      directScores(modelDir, QUERY, DOCUMENTS),
    ]);
  });
  after(() => server.stop());

  test('openai SDK lists the model in vLLM\'s shape', async () => {
    const client = new OpenAI({ apiKey: API_KEY, baseURL: `${server.url}/v1` });
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), [MODEL_NAME]);
    const [model] = models.data as unknown as { object: string; root: string; max_model_len: number; permission: unknown[] }[];
    assert.equal(model?.object, 'model');
    assert.equal(model?.max_model_len, 8192);
    assert.ok(Array.isArray(model?.permission));
  });

  test('RAGFlow "VLLM" provider: the Cohere client with api_base …/v1 posts to /v1/v1/rerank', async () => {
    const client = new CohereClient({ token: API_KEY, environment: `${server.url}/v1` });
    const response = await client.rerank({ model: MODEL_NAME, query: QUERY, documents: DOCUMENTS, topN: DOCUMENTS.length, returnDocuments: false });
    assert.equal(response.results.length, DOCUMENTS.length);
    assertScoresByIndex(response.results.map((r) => ({ index: r.index, score: r.relevanceScore })), expected);
    const scores = response.results.map((r) => r.relevanceScore);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'sorted by score');
  });

  test('RAGFlow "OpenAI-API-Compatible" provider: {model, query, documents, top_n} to /rerank', async () => {
    const response = await post('/rerank', { model: MODEL_NAME, query: QUERY, documents: DOCUMENTS, top_n: DOCUMENTS.length });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { results: { index: number; relevance_score: number }[]; usage: { total_tokens: number } };
    assertScoresByIndex(body.results.map((r) => ({ index: r.index, score: r.relevance_score })), expected);
    assert.ok(body.usage.total_tokens > 0);
  });

  test('Cohere v2 client and top_n', async () => {
    const client = new CohereClientV2({ token: API_KEY, environment: server.url });
    const response = await client.rerank({ model: MODEL_NAME, query: QUERY, documents: DOCUMENTS, topN: 2 });
    assert.equal(response.results.length, 2);
    const best = Math.max(...expected);
    assert.ok(Math.abs((response.results[0]?.relevanceScore as number) - best) < 1e-5);
  });

  test('vLLM /score and TEI /rerank give the same scores', async () => {
    const score = (await (await post('/v1/score', { model: MODEL_NAME, text_1: QUERY, text_2: DOCUMENTS })).json()) as { data: { index: number; score: number }[] };
    assertScoresByIndex(score.data, expected);
    const tei = (await (await post('/rerank', { query: QUERY, texts: DOCUMENTS })).json()) as { index: number; score: number }[];
    assertScoresByIndex(tei, expected);
  });

  test('the instruction can be set per request', async () => {
    const instruction = 'Judge whether the document is about geography';
    const [withInstruction] = await Promise.all([directScores(modelDir, QUERY, DOCUMENTS, instruction)]);
    const body = (await (await post('/v1/rerank', { model: MODEL_NAME, query: QUERY, documents: DOCUMENTS, instruction })).json()) as {
      results: { index: number; relevance_score: number }[];
    };
    assertScoresByIndex(body.results.map((r) => ({ index: r.index, score: r.relevance_score })), withInstruction as number[]);
  });

  test('a missing key is a 401 JSON error; /health needs none', async () => {
    const response = await post('/v1/rerank', { query: QUERY, documents: DOCUMENTS }, 'wrong');
    assert.equal(response.status, 401);
    const body = (await response.json()) as { error: { message: string; type: string; code: number } };
    assert.equal(body.error.code, 401);
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
  });
});
