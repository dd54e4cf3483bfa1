import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixtureModelDir } from '@rerankd/testing';
import { loadReranker, loadShard, type PairInput } from '@rerankd/model';
import { RerankdError } from '@rerankd/protocol';
import { GroupFailedError, grpcGroup, startRankServer } from '@rerankd/tensor-parallel';
import { peersOf, startRanks } from './ranks';

const model = fixtureModelDir('qwen3-tiny-tied');
const pairs: PairInput[] = [{ query: 'q', document: 'a document' }];

test('a rank that dies fails the group: its steps and the later ones fail with an error the queue redelivers', async () => {
  const ranks = await startRanks(2);
  const reranker = await loadReranker({ model, threads: 1, tensorParallel: grpcGroup({ peers: peersOf(ranks) }) });
  try {
    assert.equal((await reranker.score(pairs)).length, 1);
    await ranks[0]!.close(); // the process of rank 1 is gone
    const failure = await reranker.failure;
    assert.ok(failure instanceof GroupFailedError, String(failure));
    const error = await reranker.score(pairs).then(() => null, (e: unknown) => e);
    assert.ok(error instanceof Error, 'scoring fails');
    assert.ok(!(error instanceof RerankdError), `not a typed request error, so the queue delivers the item again: ${String(error)}`);
  } finally {
    await reranker.close();
  }
});

test('a rank that is asked to stop tells the leader, which stops taking work but finishes its steps', async () => {
  const ranks = await startRanks(2);
  const reranker = await loadReranker({ model, threads: 1, tensorParallel: grpcGroup({ peers: peersOf(ranks) }) });
  let drained = false;
  const draining = ranks[0]!.drain('SIGTERM', 30_000).then(() => (drained = true));
  const failure = await reranker.failure;
  assert.match(String(failure?.message), /rank 1 is leaving: SIGTERM/);
  // Work in hand still completes while the leader drains.
  assert.equal((await reranker.score(pairs)).length, 1);
  assert.equal(drained, false);
  await reranker.close();
  await draining;
  assert.ok(ranks[0]!.inSession === false);
  await ranks[0]!.close();
});

test('rank 0 waits for its peers to answer SERVING, then names the one that never does', async () => {
  const ranks = await startRanks(2);
  ranks[0]!.setServing(false);
  await assert.rejects(loadReranker({ model, threads: 1, tensorParallel: grpcGroup({ peers: peersOf(ranks), readyTimeoutMs: 1_000 }) }), /rank 1 at 127\.0\.0\.1:\d+ did not answer SERVING/);
  ranks[0]!.setServing(true);
  const reranker = await loadReranker({ model, threads: 1, tensorParallel: grpcGroup({ peers: peersOf(ranks) }) });
  await reranker.close();
  await ranks[0]!.close();
});

test('a rank started as rank 2 refuses to be rank 1', async () => {
  const rank = await startRankServer({ listen: '127.0.0.1:0', rank: 2, loadShard: (spec, r) => loadShard({ spec, rank: r, threads: 1 }) });
  try {
    await assert.rejects(loadReranker({ model, threads: 1, tensorParallel: grpcGroup({ peers: ['127.0.0.1:0', `127.0.0.1:${rank.port}`] }) }), /this is rank 2; the leader addressed it as rank 1/);
  } finally {
    await rank.close();
  }
});
