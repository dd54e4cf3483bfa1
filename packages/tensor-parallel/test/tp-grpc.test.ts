import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fixtureModelDir, loadReference, type ReferencePair } from '@rerankd/testing';
import { loadReranker, type LoadedReranker, type PairInput } from '@rerankd/model';
import { grpcGroup, type GrpcGroupExecutor, type RankServer } from '@rerankd/tensor-parallel';
import { peersOf, startRanks } from './ranks';

// Ranks 1..N−1 as gRPC servers inside the test process: the wire protocol, the session and the
// collective, without process start-up costs. Separate processes are tested in test/tp.
const SCORE_TOLERANCE = 1e-4;
const toPair = (p: ReferencePair): PairInput => ({ query: p.query, document: p.document, ...(p.instruction !== null ? { instruction: p.instruction } : {}) });

async function scores(reranker: LoadedReranker, pairs: PairInput[]): Promise<number[][]> {
  return [(await reranker.score(pairs)).map((o) => o.score), (await reranker.score(pairs)).map((o) => o.score)];
}

for (const [name, size] of [['qwen3-tiny-tied', 2], ['qwen3-tiny-tied', 4], ['qwen3-tiny-untied', 2]] as const) {
  describe(`${name}, TP=${size} over gRPC`, () => {
    const model = fixtureModelDir(name);
    const pairs = loadReference(name).pairs.map(toPair);
    let ranks: RankServer[];
    before(async () => {
      ranks = await startRanks(size);
    });
    after(() => Promise.all(ranks.map((r) => r.close())));

    for (const prefixCaching of [true, false]) {
      test(`same scores as TP=1, prefix caching ${prefixCaching ? 'on' : 'off'}`, async (t) => {
        const whole = await loadReranker({ model, prefixCaching, threads: 1 });
        const expected = await scores(whole, pairs);
        await whole.close();
        let group: GrpcGroupExecutor | undefined;
        const tp = grpcGroup({ peers: peersOf(ranks) });
        const split = await loadReranker({ model, prefixCaching, threads: 1, tensorParallel: { size, connect: async (spec, lead) => (group = await tp.connect(spec, lead)) } });
        try {
          const got = await scores(split, pairs);
          let worst = 0;
          got.forEach((run, r) =>
            run.forEach((score, i) => {
              worst = Math.max(worst, Math.abs(score - (expected[r]![i] as number)));
              assert.ok(Math.abs(score - (expected[r]![i] as number)) < SCORE_TOLERANCE, `run ${r} pair ${i}: ${score} vs ${expected[r]![i]}`);
            }),
          );
          const traffic = group!.traffic;
          t.diagnostic(`max |Δscore| ${worst.toExponential(2)}; ${traffic.calls} all-reduces, ${traffic.bytesReduced} bytes reduced, ${traffic.bytesSent} bytes sent by rank 0`);
          assert.ok(traffic.calls > 0);
        } finally {
          await split.close();
        }
        // The ranks are ready for the next session (a leader that restarted).
        assert.ok(ranks.every((r) => !r.inSession));
      });
    }
  });
}
