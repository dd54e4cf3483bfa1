import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CohereClient, CohereClientV2 } from 'cohere-ai';
import * as cohereSerialization from 'cohere-ai/serialization';
import OpenAI from 'openai';
import { fakeScore } from './fake-queue';
import { MODEL, request, startGateway, type TestGateway } from './gateway-server';

const API_KEY = 'secret-key';
const QUERY = 'capital of France?';
const DOCUMENTS = ['Paris is in France.', 'Bananas', 'The capital of France is Paris.'];

/** Validates a raw answer with the SDK's own schema, which its client skips. */
function assertCohereParses(schema: { parse(raw: unknown, options: object): { ok: boolean } }, raw: unknown): void {
  const parsed = schema.parse(raw, { unrecognizedObjectKeys: 'passthrough', skipValidation: false });
  assert.ok(parsed.ok, JSON.stringify(parsed));
}

describe('real clients', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway({ apiKeys: [API_KEY] });
  });
  after(() => gateway.close());

  it("cohere-ai CohereClient (v1) reranks, and its schema accepts the answer", async () => {
    const client = new CohereClient({ token: API_KEY, environment: gateway.base });
    const answer = await client.rerank({ model: MODEL, query: QUERY, documents: DOCUMENTS, topN: 2, returnDocuments: true });
    assert.deepEqual(
      answer.results.map((result) => [result.index, result.relevanceScore, result.document?.text]),
      [2, 0].map((index) => [index, fakeScore(DOCUMENTS[index]!), DOCUMENTS[index]]),
    );
    assert.equal(answer.meta?.apiVersion?.version, '1');
    const raw = await request(gateway.base, '/v1/rerank', {
      body: { model: MODEL, query: QUERY, documents: DOCUMENTS },
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    assertCohereParses(cohereSerialization.RerankResponse, raw.json);
  });

  it('cohere-ai CohereClient with a base URL ending in /v1 (as RAGFlow sets it) reaches /v1/v1/rerank', async () => {
    const client = new CohereClient({ token: API_KEY, environment: `${gateway.base}/v1` });
    const answer = await client.rerank({ model: MODEL, query: QUERY, documents: DOCUMENTS, returnDocuments: false });
    assert.deepEqual(answer.results.map((result) => result.index), [2, 0, 1]);
    assert.equal(answer.results[0]?.document, undefined);
  });

  it('cohere-ai CohereClientV2 reranks, and its schema accepts the answer', async () => {
    const client = new CohereClientV2({ token: API_KEY, environment: gateway.base });
    const answer = await client.rerank({ model: MODEL, query: QUERY, documents: DOCUMENTS });
    assert.deepEqual(
      answer.results.map((result) => [result.index, result.relevanceScore]),
      [2, 0, 1].map((index) => [index, fakeScore(DOCUMENTS[index]!)]),
    );
    assert.equal(answer.meta?.apiVersion?.version, '2');
    const raw = await request(gateway.base, '/v2/rerank', {
      body: { model: MODEL, query: QUERY, documents: DOCUMENTS },
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    assertCohereParses(cohereSerialization.V2RerankResponse, raw.json);
  });

  it('openai lists the model', async () => {
    const client = new OpenAI({ apiKey: API_KEY, baseURL: `${gateway.base}/v1` });
    const models = await client.models.list();
    assert.deepEqual(models.data.map((model) => [model.id, model.object, model.owned_by]), [[MODEL, 'model', 'rerankd']]);
  });

  it('openai reports a wrong key as an AuthenticationError', async () => {
    const client = new OpenAI({ apiKey: 'wrong', baseURL: `${gateway.base}/v1`, maxRetries: 0 });
    await assert.rejects(client.models.list(), OpenAI.AuthenticationError);
  });
});
