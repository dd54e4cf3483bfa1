import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pairsOf, scoreStep } from './fake-executor';
import { makeScheduler, tokenRange, workItem } from './work-items';

const idsOf = (pairs: readonly { pairId: string }[]) => pairs.map((pair) => pair.pairId);

describe('Scheduler batching', () => {
  it('runs the pairs of one query as one group over one shared prefix, computed once', () => {
    const { scheduler, kv } = makeScheduler();
    // A 10-token prefix takes 2 whole blocks and part of a third, all computed once.
    scheduler.addRequest(workItem('q', { prefix: tokenRange(1, 10), documentLengths: [5, 3, 4] }));
    const { plan, finished } = scoreStep(scheduler);

    const document = (i: number, length: number) => tokenRange(10_000 + 100 * i, length);
    assert.deepEqual(plan.prefixGroups, [
      {
        requestId: 'q',
        blockIds: [0, 1, 2],
        prefixLength: 10,
        numCachedTokens: 0,
        newPrefixTokenIds: tokenRange(1, 10),
        pairs: [
          { requestId: 'q', pairId: 'q/1', tokenIds: document(1, 3), startPosition: 10 },
          { requestId: 'q', pairId: 'q/2', tokenIds: document(2, 4), startPosition: 10 },
          { requestId: 'q', pairId: 'q/0', tokenIds: document(0, 5), startPosition: 10 },
        ],
      },
    ]);
    assert.deepEqual(plan.unsharedBatches, []);
    assert.equal(plan.numScheduledPairs, 3);
    assert.equal(plan.numScheduledTokens, 10 + 3 + 4 + 5);
    assert.equal(plan.numPrefixTokens, 10);
    assert.equal(plan.numPaddingTokens, 3);
    assert.equal(plan.paddingFraction, 3 / 15);

    assert.equal(finished.length, 1);
    const [done] = finished;
    assert.equal(done?.status, 'scored');
    assert.deepEqual(done.status === 'scored' && done.pairLogits.get('q/0'), [15, 10_004]);
    assert.deepEqual(kv.freeBlockIds().slice(-2), [1, 0]);

    // The next work item of the same query reuses the two full blocks (the partial one was not
    // cached) and computes only the last 2 prefix tokens, into a block of its own.
    scheduler.addRequest(workItem('q-next', { prefix: tokenRange(1, 10), documentLengths: [3] }));
    const next = scheduler.schedule();
    assert.deepEqual(
      next.prefixGroups.map(({ blockIds, numCachedTokens, newPrefixTokenIds }) => ({ blockIds, numCachedTokens, newPrefixTokenIds })),
      [{ blockIds: [0, 1, 3], numCachedTokens: 8, newPrefixTokenIds: [9, 10] }],
    );
    assert.equal(next.numScheduledTokens, 5);
    assert.deepEqual(kv.prefixCacheStats, { numRequests: 2, numQueriedTokens: 16, numHitTokens: 8 });
  });

  it('lets two work items of one query in the same step share the prefix computed by the first', () => {
    const { scheduler, kv } = makeScheduler();
    scheduler.addRequest(workItem('part-1', { prefix: tokenRange(1, 8), documentLengths: [4] }));
    scheduler.addRequest(workItem('part-2', { prefix: tokenRange(1, 8), documentLengths: [4] }));
    const plan = scheduler.schedule();
    assert.deepEqual(
      plan.prefixGroups.map(({ requestId, blockIds, numCachedTokens, newPrefixTokenIds }) => ({ requestId, blockIds, numCachedTokens, newPrefixTokenIds })),
      [
        { requestId: 'part-1', blockIds: [0, 1], numCachedTokens: 0, newPrefixTokenIds: tokenRange(1, 8) },
        { requestId: 'part-2', blockIds: [0, 1], numCachedTokens: 8, newPrefixTokenIds: [] },
      ],
    );
    assert.equal(plan.numPrefixTokens, 8);
    assert.deepEqual([kv.refCount(0), kv.refCount(1)], [2, 2]);
  });

  it('splits a request with very different lengths into groups over the same blocks', () => {
    const { scheduler } = makeScheduler();
    scheduler.addRequest(workItem('q', { prefix: tokenRange(1, 8), documentLengths: [30, 2, 3] }));
    const plan = scheduler.schedule();
    assert.deepEqual(
      plan.prefixGroups.map((group) => ({ blockIds: group.blockIds, numCachedTokens: group.numCachedTokens, pairIds: idsOf(group.pairs) })),
      [
        { blockIds: [0, 1], numCachedTokens: 0, pairIds: ['q/1', 'q/2'] },
        { blockIds: [0, 1], numCachedTokens: 8, pairIds: ['q/0'] },
      ],
    );
    assert.equal(plan.numPrefixTokens, 8);
    assert.equal(plan.numPaddingTokens, 1);
  });

  it('batches encoder pairs of all requests together, cut by length', () => {
    const { scheduler } = makeScheduler();
    scheduler.addRequest(workItem('e1', { prefix: [], documentLengths: [4, 20] }));
    scheduler.addRequest(workItem('e2', { prefix: [], documentLengths: [5, 22] }));
    const plan = scheduler.schedule();
    assert.deepEqual(plan.prefixGroups, []);
    assert.deepEqual(plan.unsharedBatches.map(idsOf), [
      ['e1/0', 'e2/0'],
      ['e1/1', 'e2/1'],
    ]);
    assert.deepEqual(plan.unsharedBatches[0]?.[0], { requestId: 'e1', pairId: 'e1/0', tokenIds: tokenRange(10_000, 4), startPosition: 0 });
    assert.equal(plan.numPaddingTokens, 1 + 2);
    assert.equal(plan.paddingFraction, 3 / (10 + 44));
    assert.equal(plan.numScheduledTokens, 51);
  });

  it('keeps every step within the token budget, counting new prefix tokens but not cached ones', () => {
    const { scheduler } = makeScheduler({ maxNumBatchedTokens: 40 });
    scheduler.addRequest(workItem('q', { prefix: tokenRange(1, 8), documentLengths: Array(10).fill(10) }));
    const steps = [scoreStep(scheduler), scoreStep(scheduler), scoreStep(scheduler)];
    assert.deepEqual(
      steps.map(({ plan }) => [plan.numScheduledPairs, plan.numScheduledTokens]),
      [
        [3, 8 + 30],
        [4, 40],
        [3, 30],
      ],
    );
    assert.deepEqual(
      steps.map(({ finished }) => finished.map((f) => f.requestId)),
      [[], [], ['q']],
    );
  });

  it('runs a pair longer than the token budget alone in its own step', () => {
    const { scheduler } = makeScheduler({ maxNumBatchedTokens: 20 });
    scheduler.addRequest(workItem('short', { prefix: [], documentLengths: [5], deadline: 100 }));
    scheduler.addRequest(workItem('long', { prefix: tokenRange(1, 8), documentLengths: [30, 4], deadline: 200 }));
    const steps = [scoreStep(scheduler), scoreStep(scheduler)];
    assert.deepEqual(
      steps.map(({ plan }) => [plan.numScheduledPairs, plan.numScheduledTokens]),
      [
        // The short pair, the long request's prefix and its 4-token pair; then the 30-token pair alone.
        [2, 5 + 8 + 4],
        [1, 30],
      ],
    );
    assert.deepEqual(steps.at(-1)?.finished.map((f) => f.requestId), ['long']);
  });

  it('keeps every step within the pair cap', () => {
    const { scheduler } = makeScheduler({ maxNumPairs: 2 });
    scheduler.addRequest(workItem('q', { prefix: tokenRange(1, 8), documentLengths: [1, 2, 3, 4, 5] }));
    const counts = [1, 2, 3].map(() => scoreStep(scheduler).plan.numScheduledPairs);
    assert.deepEqual(counts, [2, 2, 1]);
    assert.equal(scheduler.hasUnfinishedRequests(), false);
  });

  it('serves the earliest deadline first, ties in arrival order', () => {
    const { scheduler } = makeScheduler({ maxNumBatchedTokens: 12 });
    scheduler.addRequest(workItem('late', { prefix: [], documentLengths: [10], deadline: 300 }));
    scheduler.addRequest(workItem('early', { prefix: [], documentLengths: [10], deadline: 100 }));
    scheduler.addRequest(workItem('mid', { prefix: [], documentLengths: [10], deadline: 200 }));
    scheduler.addRequest(workItem('mid-too', { prefix: [], documentLengths: [10], deadline: 200 }));
    const order = [1, 2, 3, 4].map(() => scoreStep(scheduler).finished.map((f) => f.requestId));
    assert.deepEqual(order, [['early'], ['mid'], ['mid-too'], ['late']]);
  });

  it('orders the groups of a step by deadline', () => {
    const { scheduler } = makeScheduler();
    scheduler.addRequest(workItem('late', { prefix: tokenRange(1, 4), documentLengths: [2], deadline: 300 }));
    scheduler.addRequest(workItem('early', { prefix: tokenRange(11, 4), documentLengths: [2], deadline: 100 }));
    scheduler.addRequest(workItem('mid', { prefix: tokenRange(21, 4), documentLengths: [2], deadline: 200 }));
    assert.deepEqual(
      scheduler.schedule().prefixGroups.map((group) => [group.requestId, group.blockIds]),
      [
        ['early', [0]],
        ['mid', [1]],
        ['late', [2]],
      ],
    );
  });

  it('does not let a 1,000-pair request delay a 5-pair request arriving later by more than one step', () => {
    const { scheduler } = makeScheduler({ blockSize: 16, maxNumBatchedTokens: 2048, maxNumPairs: 256 });
    scheduler.addRequest(workItem('huge', { prefix: tokenRange(1, 80), documentLengths: Array(1000).fill(40), deadline: 10_000 }));
    const first = scoreStep(scheduler);
    assert.equal(first.plan.numScheduledPairs, 49);

    // A later deadline: pure earliest-deadline-first would keep it waiting ~20 steps.
    scheduler.addRequest(workItem('small', { prefix: tokenRange(501, 80), documentLengths: Array(5).fill(30), deadline: 20_000 }));
    const second = scoreStep(scheduler);
    const pairsPerRequest = (requestId: string) => pairsOf(second.plan).filter((pair) => pair.requestId === requestId).length;
    assert.equal(pairsPerRequest('small'), 5);
    assert.deepEqual(
      second.finished.map((f) => [f.requestId, f.status]),
      [['small', 'scored']],
    );
    // The huge request still gets all the budget the small one leaves.
    assert.equal(pairsPerRequest('huge'), 45);
    assert.equal(second.plan.numScheduledTokens, 45 * 40 + 80 + 5 * 30);
    assert.ok(second.plan.numScheduledTokens <= 2048);
  });

  it('finishes a small request in the next step even when running requests have pairs larger than their share', () => {
    const { scheduler } = makeScheduler({ blockSize: 16, maxNumBatchedTokens: 1024, maxNumPairs: 64 });
    for (const id of ['big-1', 'big-2', 'big-3']) scheduler.addRequest(workItem(id, { prefix: [], documentLengths: Array(32).fill(500), deadline: 1_000 }));
    assert.equal(scoreStep(scheduler).plan.numScheduledPairs, 2);

    scheduler.addRequest(workItem('small', { prefix: [], documentLengths: Array(5).fill(75), deadline: 2_000 }));
    const next = scoreStep(scheduler);
    assert.deepEqual(next.finished.map((f) => f.requestId), ['small']);
    // What the small request leaves goes to the earliest deadline: one more 500-token pair.
    assert.equal(next.plan.numScheduledTokens, 5 * 75 + 500);
  });
});
