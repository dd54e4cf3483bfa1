import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { replyChannel } from '@rerankd/queue';
import { INTERACTIVE_MAX_PAIRS } from '../src/dispatch/dispatcher';
import { fakeScore, scoredResult } from './fake-queue';
import { GATEWAY_ID, MODEL, NOW, request, startGateway, type TestGateway } from './gateway-server';

const documents = (count: number) => Array.from({ length: count }, (_, i) => 'x'.repeat(i + 1));

describe('dispatch', () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway({ limits: { maxPairsPerItem: 10, requestTimeoutMs: 30_000 } });
  });
  after(() => gateway.close());
  beforeEach(() => {
    gateway.queue.submitted.length = 0;
    gateway.queue.answer = (item) => [scoredResult(item)];
  });

  it('splits 25 documents into items of 10, 10 and 5 stamped with the deadline and reply channel', async () => {
    const texts = documents(25);
    const answer = await request(gateway.base, '/v1/rerank', { body: { query: 'q', documents: texts } });
    assert.equal(answer.status, 200);
    const items = gateway.queue.submitted;
    assert.deepEqual(items.map((item) => item.pairs.length), [10, 10, 5]);
    assert.deepEqual(items.flatMap((item) => item.pairs.map((pair) => pair.index)), [...texts.keys()]);
    assert.equal(new Set(items.map((item) => item.itemId)).size, 3);
    for (const item of items) {
      assert.equal(item.requestId, items[0]!.requestId);
      assert.equal(item.model, MODEL);
      assert.equal(item.replyTo, replyChannel(GATEWAY_ID));
      assert.equal(item.deadline, NOW + 30_000);
    }
    const results = (answer.json as { results: { index: number }[] }).results;
    assert.deepEqual(results.map((result) => result.index), [...texts.keys()].reverse());
  });

  it('puts requests of at most INTERACTIVE_MAX_PAIRS pairs in the interactive lane, bigger ones in bulk', async () => {
    for (const count of [1, INTERACTIVE_MAX_PAIRS, INTERACTIVE_MAX_PAIRS + 1]) {
      gateway.queue.submitted.length = 0;
      const answer = await request(gateway.base, '/v1/rerank', { body: { query: 'q', documents: documents(count) } });
      assert.equal(answer.status, 200);
      const expected = count <= INTERACTIVE_MAX_PAIRS ? 'interactive' : 'bulk';
      assert.deepEqual([...new Set(gateway.queue.submitted.map((item) => item.lane))], [expected], `${count} documents`);
    }
  });

  it('ignores duplicate results, before and after the request completes', async () => {
    gateway.queue.answer = (item) => {
      const result = scoredResult(item);
      const tampered = { ...result, scores: result.scores.map((score) => ({ ...score, score: 0 })) };
      // The first delivery wins; redeliveries (here with different scores) change nothing.
      setTimeout(() => gateway.queue.publish(item.replyTo, tampered), 5);
      return [result, tampered, result];
    };
    const texts = documents(15);
    const answer = await request(gateway.base, '/v1/rerank', { body: { query: 'q', documents: texts } });
    assert.equal(answer.status, 200);
    const results = (answer.json as { results: { index: number; relevance_score: number }[] }).results;
    assert.equal(results.length, 15);
    assert.deepEqual(
      results.map((result) => result.relevance_score),
      [...texts].reverse().map(fakeScore),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    const again = await request(gateway.base, '/v1/rerank', { body: { query: 'q', documents: ['a'] } });
    assert.equal(again.status, 200);
  });

  it('subscribes to its reply channel once for all requests', async () => {
    await request(gateway.base, '/v1/rerank', { body: { query: 'q', documents: ['a'] } });
    await request(gateway.base, '/score', { body: { text_1: 'q', text_2: 'a' } });
    assert.equal(gateway.queue.subscriptions, 1);
  });

  it('fails the request with the first failed item and ignores later results', async () => {
    gateway.queue.answer = (item) =>
      item.itemId.endsWith('.1')
        ? [{ ok: false, itemId: item.itemId, requestId: item.requestId, workerId: 'w', error: { kind: 'timeout', message: 'deadline passed' } }]
        : [scoredResult(item)];
    const answer = await request(gateway.base, '/v1/rerank', { body: { query: 'q', documents: documents(25) } });
    assert.equal(answer.status, 504);
    assert.equal((answer.json as { error: { message: string } }).error.message, 'deadline passed');
  });

  it('answers 500, logging the detail, when a worker answers for pairs it was not given', async () => {
    gateway.queue.answer = (item) => {
      const result = scoredResult(item);
      return [{ ...result, scores: result.scores.slice(1) }];
    };
    const answer = await request(gateway.base, '/v1/rerank', { body: { query: 'q', documents: documents(3) } });
    assert.equal(answer.status, 500);
    assert.deepEqual(answer.json, {
      error: { message: 'The server failed to process the request.', type: 'InternalServerError', param: null, code: 500 },
    });
    assert.match(String(gateway.logged.at(-1)), /wrong pairs/);
  });
});
