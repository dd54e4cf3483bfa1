import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '@rerankd/protocol';
import { MissingLogitsError } from '../src';
import { fakeLogits, pairsOf, scoreStep } from './fake-executor';
import { makeScheduler, tokenRange, workItem } from './work-items';

const finishedIds = (finished: readonly { requestId: string; status: string }[]) => finished.map((f) => `${f.requestId}:${f.status}`);

describe('Scheduler request lifecycle', () => {
  it('reports a request finished in the step its last pair is scored', () => {
    const { scheduler } = makeScheduler({ maxNumPairs: 4 });
    scheduler.addRequest(workItem('a', { prefix: tokenRange(1, 8), documentLengths: [1, 2, 3] }));
    scheduler.addRequest(workItem('b', { prefix: tokenRange(21, 8), documentLengths: [1, 2, 3, 4, 5, 6] }));
    const steps = [1, 2, 3].map(() => scoreStep(scheduler));
    assert.deepEqual(
      steps.map(({ plan }) => ['a', 'b'].map((id) => pairsOf(plan).filter((pair) => pair.requestId === id).length)),
      [
        // Both are small: the smaller is taken whole, the other fills the pair cap.
        [3, 1],
        [0, 4],
        [0, 1],
      ],
    );
    assert.deepEqual(
      steps.map(({ finished }) => finishedIds(finished)),
      [['a:scored'], [], ['b:scored']],
    );
    const b = steps[2]?.finished[0];
    assert.equal(b?.status === 'scored' && b.pairLogits.size, 6);
  });

  it('keeps a request waiting while the cache has no room, without letting later ones take blocks ahead of it', () => {
    const { scheduler, kv } = makeScheduler({ numBlocks: 4 });
    // Each over half the step budget, so none is taken as a small request ahead of the others.
    scheduler.addRequest(workItem('a', { prefix: tokenRange(1, 12), documentLengths: [300, 300], deadline: 100 }));
    scheduler.addRequest(workItem('b', { prefix: tokenRange(101, 12), documentLengths: [300, 300], deadline: 200 }));
    scheduler.addRequest(workItem('c', { prefix: tokenRange(201, 4), documentLengths: [300, 300], deadline: 300 }));

    const first = scoreStep(scheduler);
    assert.deepEqual(
      first.plan.prefixGroups.map((group) => [group.requestId, group.blockIds]),
      [['a', [0, 1, 2]]],
    );
    assert.deepEqual(finishedIds(first.finished), ['a:scored']);
    assert.deepEqual(kv.freeBlockIds(), [3, 2, 1, 0]);

    const second = scoreStep(scheduler);
    assert.deepEqual(
      second.plan.prefixGroups.map((group) => [group.requestId, group.blockIds]),
      [
        ['b', [3, 2, 1]],
        ['c', [0]],
      ],
    );
    assert.deepEqual(finishedIds(second.finished), ['b:scored']);
    assert.deepEqual(finishedIds(scoreStep(scheduler).finished), ['c:scored']);
  });

  it('counts waiting and running requests while one waits for blocks', () => {
    const { scheduler } = makeScheduler({ numBlocks: 4 });
    scheduler.addRequest(workItem('a', { prefix: tokenRange(1, 12), documentLengths: [2, 2] }));
    scheduler.addRequest(workItem('b', { prefix: tokenRange(101, 12), documentLengths: [2] }));
    const plan = scheduler.schedule();
    const stats = scheduler.makeStats(plan);
    assert.deepEqual([stats.numRunningRequests, stats.numWaitingRequests, stats.kvCacheUsage], [1, 1, 0.75]);
  });

  it('drops expired requests, waiting or running, and frees their blocks', () => {
    let now = 0;
    const { scheduler, kv } = makeScheduler({ maxNumPairs: 1, now: () => now });
    scheduler.addRequest(workItem('x', { prefix: tokenRange(1, 8), documentLengths: [4, 4, 4], deadline: 100 }));
    assert.deepEqual(finishedIds(scoreStep(scheduler).finished), []);
    scheduler.addRequest(workItem('y', { prefix: tokenRange(21, 8), documentLengths: [4], deadline: 100 }));

    now = 100;
    const plan = scheduler.schedule();
    assert.deepEqual(plan.expiredRequestIds, ['x', 'y']);
    assert.equal(plan.numScheduledPairs, 0);
    assert.deepEqual(finishedIds(scheduler.updateFromOutput(plan, new Map())), ['x:expired', 'y:expired']);
    assert.equal(kv.usage, 0);
    assert.deepEqual(kv.freeBlockIds().slice(-2), [1, 0]);
    assert.equal(scheduler.hasUnfinishedRequests(), false);
  });

  it('fails the requests of a step that could not run and forgets the prefix it was to compute', () => {
    const { scheduler, kv } = makeScheduler();
    scheduler.addRequest(workItem('a', { prefix: tokenRange(1, 8), documentLengths: [4] }));
    const plan = scheduler.schedule();
    const error = new Error('device lost');
    assert.deepEqual(scheduler.failStep(plan, error), [{ requestId: 'a', status: 'failed', error }]);
    assert.equal(kv.usage, 0);

    scheduler.addRequest(workItem('b', { prefix: tokenRange(1, 8), documentLengths: [4] }));
    assert.equal(scheduler.schedule().prefixGroups[0]?.numCachedTokens, 0);
  });

  it('rejects logits that miss a pair without changing anything', () => {
    const { scheduler } = makeScheduler();
    scheduler.addRequest(workItem('a', { prefix: [], documentLengths: [3, 4] }));
    const plan = scheduler.schedule();
    const [first] = pairsOf(plan);
    assert.throws(() => scheduler.updateFromOutput(plan, new Map([[first?.pairId as string, [1]]])), MissingLogitsError);
    const logits = new Map(pairsOf(plan).map((pair) => [pair.pairId, fakeLogits(pair)]));
    assert.deepEqual(finishedIds(scheduler.updateFromOutput(plan, logits)), ['a:scored']);
  });

  it('ignores logits of a request aborted while its step ran', () => {
    const { scheduler, kv } = makeScheduler();
    scheduler.addRequest(workItem('a', { prefix: tokenRange(1, 8), documentLengths: [4] }));
    const plan = scheduler.schedule();
    assert.equal(scheduler.abortRequest('a'), true);
    assert.equal(scheduler.abortRequest('a'), false);
    assert.deepEqual(scheduler.updateFromOutput(plan, new Map()), []);
    assert.equal(kv.usage, 0);
  });

  it('leaves every pair at least one token of its own', () => {
    const { scheduler } = makeScheduler();
    // The whole pair is prefix: its last token stays with the pair, to be scored.
    scheduler.addRequest({ requestId: 'a', deadline: 1, pairs: [{ pairId: 'p', tokenIds: tokenRange(1, 8), prefixLength: 8 }] });
    const [group] = scheduler.schedule().prefixGroups;
    assert.equal(group?.prefixLength, 7);
    assert.deepEqual(group?.pairs[0]?.tokenIds, [8]);
  });

  it('turns away requests that could never run', () => {
    const { scheduler } = makeScheduler({ numBlocks: 2, maxNumBatchedTokens: 20 });
    scheduler.addRequest(workItem('a', { prefix: [], documentLengths: [3] }));
    const rejects = (input: Parameters<typeof scheduler.addRequest>[0], message: RegExp) =>
      assert.throws(() => scheduler.addRequest(input), (error) => error instanceof InvalidRequestError && message.test(error.message));

    rejects(workItem('a', { prefix: [], documentLengths: [3] }), /already in the engine/);
    rejects({ requestId: 'b', deadline: 1, pairs: [{ pairId: 'a/0', tokenIds: [1], prefixLength: 0 }] }, /pair id a\/0 is already/);
    rejects(workItem('d', { prefix: tokenRange(1, 12), documentLengths: [1] }), /needs 3 KV blocks; the cache has 2/);
    rejects({ requestId: 'e', deadline: 1, pairs: [] }, /no pairs/);
    rejects(
      {
        requestId: 'f',
        deadline: 1,
        pairs: [
          { pairId: 'f/0', tokenIds: [1, 2, 3], prefixLength: 2 },
          { pairId: 'f/1', tokenIds: [1, 9, 3], prefixLength: 2 },
        ],
      },
      /does not share the prefix/,
    );
    rejects({ requestId: 'g', deadline: 1, pairs: [{ pairId: 'g/0', tokenIds: [1], prefixLength: 2 }] }, /prefixLength 2 for 1 tokens/);

    // Once a request has left, its ids are free again.
    scoreStep(scheduler);
    scheduler.addRequest(workItem('a', { prefix: [], documentLengths: [3] }));
  });
});

describe('Scheduler stats', () => {
  it('reports cache use, prefix hits, and each step', () => {
    const { scheduler } = makeScheduler({ numBlocks: 8, maxNumBatchedTokens: 100, maxNumPairs: 4 });
    scheduler.addRequest(workItem('r1', { prefix: tokenRange(1, 8), documentLengths: [2, 4, 4] }));
    scheduler.addRequest(workItem('e1', { prefix: [], documentLengths: [6, 6] }));
    const idle = { numPairs: 0, numTokens: 0, numPrefixTokens: 0, numPaddingTokens: 0, paddingFraction: 0, numBatches: 0 };
    assert.deepEqual(scheduler.makeStats(null), {
      numSteps: 0,
      numWaitingRequests: 2,
      numRunningRequests: 0,
      kvCacheUsage: 0,
      prefixCacheQueriedTokens: 0,
      prefixCacheHitTokens: 0,
      lastStep: idle,
    });

    // Each request gets half the pair cap: r1 two pairs (2 and 4 tokens, padded to 4), e1 both.
    const first = scoreStep(scheduler);
    assert.deepEqual(finishedIds(first.finished), ['e1:scored']);
    assert.deepEqual(scheduler.makeStats(first.plan), {
      numSteps: 1,
      numWaitingRequests: 0,
      numRunningRequests: 1,
      kvCacheUsage: 0.25,
      prefixCacheQueriedTokens: 8,
      prefixCacheHitTokens: 0,
      lastStep: { numPairs: 4, numTokens: 8 + 6 + 12, numPrefixTokens: 8, numPaddingTokens: 2, paddingFraction: 0.1, numBatches: 2 },
    });

    scheduler.addRequest(workItem('r2', { prefix: tokenRange(1, 8), documentLengths: [3] }));
    const second = scoreStep(scheduler);
    assert.deepEqual(finishedIds(second.finished), ['r1:scored', 'r2:scored']);
    assert.deepEqual(scheduler.makeStats(second.plan), {
      numSteps: 2,
      numWaitingRequests: 0,
      numRunningRequests: 0,
      kvCacheUsage: 0,
      prefixCacheQueriedTokens: 16,
      prefixCacheHitTokens: 8,
      lastStep: { numPairs: 2, numTokens: 4 + 3, numPrefixTokens: 0, numPaddingTokens: 0, paddingFraction: 0, numBatches: 2 },
    });
  });
});
