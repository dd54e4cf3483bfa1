import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fakeScore, fakeTokens } from './fake-queue';
import { MODEL, NOW, request, startGateway, type TestGateway } from './gateway-server';

describe('score', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway();
  });
  after(() => gateway.close());

  const pairsSent = () => gateway.queue.submitted.flatMap((item) => item.pairs.map(({ query, document }) => [query, document]));

  it('pairs one text_1 with every text_2 and answers in vLLM shape, in pair order', async () => {
    gateway.queue.submitted.length = 0;
    const texts = ['a much longer document', 'short', 'medium one'];
    const answer = await request(gateway.base, '/v1/score', { body: { model: MODEL, text_1: 'query', text_2: texts } });
    assert.equal(answer.status, 200);
    const body = answer.json as { id: string };
    assert.match(body.id, /^score-id-\d+$/);
    const tokens = texts.reduce((sum, text) => sum + fakeTokens('query', text), 0);
    assert.deepEqual(body, {
      id: body.id,
      object: 'list',
      created: Math.floor(NOW / 1000),
      model: MODEL,
      data: texts.map((text, index) => ({ index, object: 'score', score: fakeScore(text) })),
      usage: { prompt_tokens: tokens, total_tokens: tokens, completion_tokens: 0 },
    });
    assert.deepEqual(pairsSent(), texts.map((text) => ['query', text]));
  });

  it('pairs N text_1 with N text_2 one to one, and a single string with a single string', async () => {
    gateway.queue.submitted.length = 0;
    const zipped = await request(gateway.base, '/score', { body: { text_1: ['q1', 'q2'], text_2: ['d1', 'd22'] } });
    assert.equal(zipped.status, 200);
    assert.deepEqual(pairsSent(), [['q1', 'd1'], ['q2', 'd22']]);
    gateway.queue.submitted.length = 0;
    const single = await request(gateway.base, '/score', { body: { text_1: 'q', text_2: 'd' } });
    assert.equal((single.json as { data: unknown[] }).data.length, 1);
    assert.deepEqual(pairsSent(), [['q', 'd']]);
  });

  it('reads the queries/documents spelling of the sides', async () => {
    gateway.queue.submitted.length = 0;
    const answer = await request(gateway.base, '/score', { body: { queries: 'q', documents: ['d1', 'd2'] } });
    assert.equal(answer.status, 200);
    assert.deepEqual(pairsSent(), [['q', 'd1'], ['q', 'd2']]);
  });

  it('answers 400 for sides that do not pair', async () => {
    const mismatched = await request(gateway.base, '/score', { body: { text_1: ['q1', 'q2'], text_2: ['d1', 'd2', 'd3'] } });
    assert.equal(mismatched.status, 400);
    assert.deepEqual(mismatched.json, {
      error: {
        message: 'text_1 and text_2 must pair 1:1, 1:N or N:N (got 2:3).',
        type: 'BadRequestError',
        param: 'text_2',
        code: 400,
      },
    });
    const manyToOne = await request(gateway.base, '/score', { body: { text_1: ['q1', 'q2'], text_2: 'd' } });
    assert.equal(manyToOne.status, 400);
    const missing = await request(gateway.base, '/score', { body: { text_1: 'q' } });
    assert.equal(missing.status, 400);
    assert.equal((missing.json as { error: { param: string } }).error.param, 'text_2');
    const empty = await request(gateway.base, '/score', { body: { text_1: 'q', text_2: [] } });
    assert.equal((empty.json as { error: { param: string } }).error.param, 'text_2');
  });
});
