import type { SchedulerOutput } from '@rerankd/engine';
import type { GroupExecutor, TensorParallelOptions } from '../load-reranker';
import { inProcessCollectives } from './collective';
import { loadShard, type LoadedShard } from './load-shard';
import { stepSequences } from './shard-step';

/**
 * A tensor-parallel group whose ranks all live in this process, joined by in-memory collectives:
 * the split's arithmetic without a network, for tests and benchmarks. The shards of `loaded`
 * (rank order) are kept there once loaded, for inspection.
 */
export function inProcessGroup(size: number, loaded: LoadedShard[] = []): TensorParallelOptions {
  return {
    size,
    async connect(spec, loadLead) {
      loaded.push(await loadLead());
      for (let rank = 1; rank < size; rank++) loaded.push(await loadShard({ spec, rank, threads: 1 }));
      const collectives = inProcessCollectives(size);
      const shards = [...loaded];
      const executor: GroupExecutor = {
        failure: new Promise<Error>(() => undefined),
        async execute(plan: SchedulerOutput) {
          const [logits] = await Promise.all(shards.map((shard, rank) => shard.execute(plan, collectives[rank]!)));
          const byPair = new Map<string, number[]>();
          stepSequences(plan).forEach((pair, i) => byPair.set(pair.pairId, logits?.[i] ?? []));
          return byPair;
        },
        async close() {
          await Promise.all(shards.map((shard) => shard.release()));
        },
      };
      return executor;
    },
  };
}
