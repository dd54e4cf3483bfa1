import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { InvalidRequestError, UnavailableError } from '@rerankd/protocol';
import { EngineCore, MissingLogitsError, type ModelExecutor } from '../src';
import { FakeExecutor, fakeLogits } from './fake-executor';
import { makeScheduler, tokenRange, workItem, type TestSchedulerOptions } from './work-items';

function makeEngine(options: TestSchedulerOptions = {}) {
  const { scheduler, kv } = makeScheduler(options);
  const executor = new FakeExecutor();
  return { engine: new EngineCore({ scheduler, executor }), executor, kv };
}

describe('EngineCore', () => {
  it('steps through schedule, execute and update, and settles each request with its logits', async () => {
    const { engine, executor } = makeEngine({ maxNumPairs: 2 });
    const result = engine.addRequest(workItem('q', { prefix: tokenRange(1, 8), documentLengths: [3, 1, 2] }));

    const first = await engine.step();
    assert.deepEqual(first.finished, []);
    assert.equal(first.stats.numRunningRequests, 1);
    const second = await engine.step();
    assert.deepEqual(
      second.finished.map((f) => f.requestId),
      ['q'],
    );
    assert.deepEqual(
      executor.plans.map((plan) => plan.numScheduledPairs),
      [2, 1],
    );

    const finished = await result;
    assert.equal(finished.status, 'scored');
    assert.deepEqual(finished.status === 'scored' && Object.fromEntries(finished.pairLogits), {
      'q/1': [9, 10_100],
      'q/2': [10, 10_201],
      'q/0': [11, 10_002],
    });
    assert.equal(engine.stats.numSteps, 2);
    assert.equal(engine.stats.lastStep.numPairs, 1);
  });

  it('lets a request leave as soon as the batch holding its last pair is computed, before the step ends', async () => {
    const { scheduler } = makeScheduler();
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    // One batch per prefix group; every batch after the first waits for the gate.
    const executor: ModelExecutor = {
      async execute(plan, onBatch) {
        const all = new Map<string, number[]>();
        for (const [g, group] of plan.prefixGroups.entries()) {
          if (g > 0) await gate;
          const batch = new Map(group.pairs.map((pair) => [pair.pairId, fakeLogits(pair)]));
          batch.forEach((logits, pairId) => all.set(pairId, logits));
          onBatch?.(batch);
        }
        return all;
      },
    };
    const engine = new EngineCore({ scheduler, executor });
    const a = engine.addRequest(workItem('a', { prefix: tokenRange(1, 8), documentLengths: [2] }));
    const b = engine.addRequest(workItem('b', { prefix: tokenRange(21, 8), documentLengths: [3] }));
    let bLeft = false;
    void b.then(() => (bLeft = true));

    const step = engine.step();
    assert.equal((await a).status, 'scored');
    await nextTurn();
    assert.equal(bLeft, false, 'b waits for the rest of the step');
    release();
    assert.deepEqual(
      (await step).finished.map((f) => f.requestId),
      ['a', 'b'],
    );
    assert.equal((await b).status, 'scored');
  });

  it('runs while there is work and sleeps without stepping while there is none', async () => {
    const { engine, executor } = makeEngine({ maxNumPairs: 1 });
    const loop = engine.run();
    const first = await engine.addRequest(workItem('a', { prefix: [], documentLengths: [1, 2, 3] }));
    assert.equal(first.status, 'scored');
    const numSteps = engine.stats.numSteps;
    assert.equal(numSteps, 3);

    await sleep(20);
    assert.equal(engine.stats.numSteps, numSteps, 'no steps while idle');

    const second = await engine.addRequest(workItem('b', { prefix: [], documentLengths: [1] }));
    assert.equal(second.status, 'scored');
    assert.equal(executor.plans.length, 4);
    await engine.shutdown();
    await loop;
  });

  it('takes new requests between steps of a running loop', async () => {
    const { engine } = makeEngine({ maxNumPairs: 4 });
    const loop = engine.run();
    let bigDone = false;
    const big = engine.addRequest(workItem('big', { prefix: [], documentLengths: Array(50).fill(4), deadline: 1 })).then((outcome) => {
      bigDone = true;
      return outcome;
    });
    await nextTurn();
    const small = await engine.addRequest(workItem('small', { prefix: [], documentLengths: [4], deadline: 2 }));
    assert.equal(small.status, 'scored');
    assert.equal(bigDone, false, 'the small request did not wait for the big one');
    assert.equal((await big).status, 'scored');
    await engine.shutdown();
    await loop;
  });

  it('aborts a request at once and frees its blocks', async () => {
    const { engine, kv } = makeEngine({ maxNumPairs: 1 });
    const result = engine.addRequest(workItem('a', { prefix: tokenRange(1, 8), documentLengths: [1, 2] }));
    await engine.step();
    assert.equal(kv.usage > 0, true);
    assert.equal(engine.abort('a'), true);
    assert.deepEqual(await result, { requestId: 'a', status: 'aborted' });
    assert.equal(kv.usage, 0);
    assert.equal(engine.abort('a'), false);
  });

  it('fails only the requests of a step whose execution failed', async () => {
    const { engine, executor } = makeEngine();
    executor.failures.push(new Error('out of device memory'));
    const failed = engine.addRequest(workItem('a', { prefix: tokenRange(1, 8), documentLengths: [2] }));
    await engine.step();
    const outcome = await failed;
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.status === 'failed' && outcome.error.message, 'out of device memory');

    executor.omittedPairIds.add('b/0');
    const incomplete = engine.addRequest(workItem('b', { prefix: [], documentLengths: [2] }));
    await engine.step();
    const missing = await incomplete;
    assert.equal(missing.status === 'failed' && missing.error instanceof MissingLogitsError, true);

    const ok = engine.addRequest(workItem('c', { prefix: tokenRange(1, 8), documentLengths: [2] }));
    const step = await engine.step();
    assert.equal(step.plan.prefixGroups[0]?.numCachedTokens, 0, 'the failed step left no prefix in the cache');
    assert.equal((await ok).status, 'scored');
  });

  it('delivers expired requests without running them', async () => {
    let now = 0;
    const { scheduler } = makeScheduler({ now: () => now });
    const executor = new FakeExecutor();
    const engine = new EngineCore({ scheduler, executor });
    const result = engine.addRequest(workItem('late', { prefix: [], documentLengths: [2], deadline: 10 }));
    now = 10;
    const step = await engine.step();
    assert.deepEqual(step.plan.expiredRequestIds, ['late']);
    assert.deepEqual(await result, { requestId: 'late', status: 'expired' });
    assert.equal(executor.plans.length, 0);
  });

  it('rejects invalid requests, and every request after shutdown', async () => {
    const { engine } = makeEngine();
    await assert.rejects(engine.addRequest({ requestId: 'empty', deadline: 1, pairs: [] }), InvalidRequestError);
    const pending = engine.addRequest(workItem('pending', { prefix: [], documentLengths: [2] }));
    await engine.shutdown();
    assert.deepEqual(await pending, { requestId: 'pending', status: 'aborted' });
    await assert.rejects(engine.addRequest(workItem('after', { prefix: [], documentLengths: [2] })), UnavailableError);
  });
});
