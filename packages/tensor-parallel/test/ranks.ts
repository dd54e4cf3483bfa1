import { loadShard } from '@rerankd/model';
import { startRankServer, type RankServer, type TlsOptions } from '@rerankd/tensor-parallel';

/** Ranks 1..size−1 as gRPC servers in this process, on free loopback ports. */
export async function startRanks(size: number, tls?: TlsOptions): Promise<RankServer[]> {
  return Promise.all(
    Array.from({ length: size - 1 }, (_, i) =>
      startRankServer({ listen: '127.0.0.1:0', rank: i + 1, ...(tls ? { tls } : {}), loadShard: (spec, rank) => loadShard({ spec, rank, threads: 1 }) }),
    ),
  );
}

export const peersOf = (ranks: RankServer[]) => ['127.0.0.1:0', ...ranks.map((r) => `127.0.0.1:${r.port}`)];
