import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sumInRankOrder } from '@rerankd/model';
import { GroupFailedError, MeshCollective, TWO_SHOT_MIN_BYTES } from '@rerankd/tensor-parallel';

/** N collectives joined by in-memory links that deliver on a later turn, as a stream would. */
function mesh(size: number): MeshCollective[] {
  const ranks = Array.from({ length: size }, (_, r) => new MeshCollective(size, r));
  for (const from of ranks) {
    for (const to of ranks) {
      if (from !== to) from.addLink(to.rank, { send: (tensor) => setImmediate(() => to.receive(from.rank, { ...tensor, data: Uint8Array.from(tensor.data) })) });
    }
  }
  return ranks;
}

function partials(size: number, length: number, seed: number): Float32Array[] {
  return Array.from({ length: size }, (_, r) => Float32Array.from({ length }, (_, i) => Math.sin(seed + r * 7919 + i * 0.37) * (1 + (i % 13))));
}

for (const size of [2, 3, 4]) {
  for (const length of [1, 1000, TWO_SHOT_MIN_BYTES / 4 + 3]) {
    test(`${size} ranks, ${length} floats${size > 2 && length * 4 >= TWO_SHOT_MIN_BYTES ? ' (two shots)' : ''}: every rank gets the same bits, the sum in rank order`, async () => {
      const ranks = mesh(size);
      for (let round = 0; round < 3; round++) {
        const parts = partials(size, length, round);
        const expected = sumInRankOrder(parts, new Float32Array(length));
        const sums = await Promise.all(ranks.map((c, r) => c.allReduceSum(Float32Array.from(parts[r] as Float32Array))));
        for (const sum of sums) assert.deepEqual(sum, expected);
      }
      assert.equal(ranks[0]?.traffic.calls, 3);
    });
  }
}

test('collectives called out of step on different ranks still pair up by number', async () => {
  const [a, b] = mesh(2) as [MeshCollective, MeshCollective];
  const first = a.allReduceSum(Float32Array.of(1, 2));
  const second = a.allReduceSum(Float32Array.of(10, 20));
  const results = await Promise.all([first, second, b.allReduceSum(Float32Array.of(3, 4)), b.allReduceSum(Float32Array.of(30, 40))]);
  assert.deepEqual(results.map((r) => Array.from(r)), [[4, 6], [40, 60], [4, 6], [40, 60]]);
});

test('an aborted collective fails what waits and what comes later', async () => {
  const [a] = mesh(2) as [MeshCollective, MeshCollective];
  const waiting = a.allReduceSum(Float32Array.of(1));
  a.abort(new GroupFailedError('rank 1 is gone'));
  await assert.rejects(waiting, /rank 1 is gone/);
  await assert.rejects(a.allReduceSum(Float32Array.of(1)), /rank 1 is gone/);
});

test('the exchange benchmark runs an all-reduce over a real loopback stream', async () => {
  const { benchExchange } = await import('@rerankd/tensor-parallel');
  const result = await benchExchange({ bytes: 4096, calls: 3 });
  assert.equal(result.bytes, 4096);
  assert.equal(result.calls, 3);
  assert.ok(result.msPerCall > 0 && Number.isFinite(result.bytesPerSecond));
});
