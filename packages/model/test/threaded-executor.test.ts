import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ScheduledPair, SchedulerOutput } from '@rerankd/engine';
import { UnavailableError } from '@rerankd/protocol';
import { fixtureModelDir } from '@rerankd/testing';
import { compileGraph, type CompiledGraph } from '../src/graph/compile';
import { loadHfModel } from '../src/hf/load';
import { ThreadedExecutor } from '../src/runner/threaded-executor';

const pair = (pairId: string, tokenIds: number[]): ScheduledPair => ({ requestId: 'r', pairId, tokenIds, startPosition: 0 });

/** A step of encoder pairs, cut into the given batches. */
function plan(batches: ScheduledPair[][]): SchedulerOutput {
  const pairs = batches.flat();
  return {
    stepId: 1,
    blockSize: 16,
    prefixGroups: [],
    unsharedBatches: batches,
    numScheduledPairs: pairs.length,
    numScheduledTokens: pairs.reduce((sum, p) => sum + p.tokenIds.length, 0),
    numPrefixTokens: 0,
    numPaddingTokens: 0,
    paddingFraction: 0,
    expiredRequestIds: [],
  };
}

describe('ThreadedExecutor (the model in a worker thread)', () => {
  const { config, weights } = loadHfModel(fixtureModelDir('bert-tiny-ce'));
  let graph: CompiledGraph;
  let executor: ThreadedExecutor;
  before(async () => {
    graph = compileGraph(config, weights, { maxPositions: 512 });
    executor = await ThreadedExecutor.start({ modelPath: graph.modelPath, session: { device: 'cpu', intraOpThreads: 1 }, layout: { kind: 'encoder', padTokenId: 0, firstPosition: 0 }, kvShape: null });
  });
  after(async () => {
    await executor.close();
    graph.remove();
  });

  it('returns the logits of every pair and hands over each batch as it is computed', async () => {
    const batches = [[pair('a', [101, 54, 102])], [pair('b', [101, 54, 203, 102]), pair('c', [101, 592, 102, 23, 102])]];
    const seen: string[][] = [];
    const logits = await executor.execute(plan(batches), (batch) => seen.push([...batch.keys()]));
    assert.deepEqual(seen, [['a']], 'the last batch comes with the result');
    assert.deepEqual([...logits.keys()], ['a', 'b', 'c']);
    for (const values of logits.values()) assert.ok(values.length === 1 && Number.isFinite(values[0]));
  });

  it('fails a step ORT cannot run with its message, and runs the next one', async () => {
    // A token id past the 680-row embedding of the tiny model.
    await assert.rejects(executor.execute(plan([[pair('x', [101, 5000, 102])]])), /indices element out of data bounds/);
    assert.equal((await executor.execute(plan([[pair('y', [101, 102])]]))).size, 1);
  });

  it('says why its session could not open', async () => {
    await assert.rejects(
      ThreadedExecutor.start({ modelPath: `${graph.modelPath}.missing`, session: { device: 'cpu' }, layout: { kind: 'encoder', padTokenId: 0, firstPosition: 0 }, kvShape: null }),
      /missing/,
    );
  });

  it('refuses steps once closed, which is not a failure', async () => {
    const closing = await ThreadedExecutor.start({ modelPath: graph.modelPath, session: { device: 'cpu', intraOpThreads: 1 }, layout: { kind: 'encoder', padTokenId: 0, firstPosition: 0 }, kvShape: null });
    let failed = false;
    void closing.failure.then(() => (failed = true));
    await closing.close();
    await assert.rejects(closing.execute(plan([[pair('z', [101, 102])]])), UnavailableError);
    assert.equal(failed, false);
  });
});
