import type { Device } from '@rerankd/model';
import { loadShard } from '@rerankd/model';
import type { TlsOptions } from './credentials';
import type { RankListening } from './local-group';
import { startRankServer, type RankServer } from './rank-server';

export interface RankProcessOptions {
  /** host:port to listen on (port 0: a free one, reported to the parent of a local group). */
  listen: string;
  /** Fixed in a cross-host group (--rank); a local group's child learns it from the leader too. */
  rank?: number;
  tls?: TlsOptions;
  /** This rank's path to the model, when not the leader's. */
  model?: string;
  device?: Device;
  threads?: number;
  log?: (line: string) => void;
}

/**
 * A rank other than 0: serves the rank-to-rank service and loads its shard when a leader opens a
 * session. Started by a local group (with an IPC channel to its parent), it reports its port and
 * leaves when the parent goes away.
 */
export async function runRankProcess(options: RankProcessOptions): Promise<RankServer> {
  const server = await startRankServer({
    listen: options.listen,
    ...(options.rank !== undefined ? { rank: options.rank } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.log ? { log: options.log } : {}),
    loadShard: (spec, rank) =>
      loadShard({ spec, rank, ...(options.model ? { model: options.model } : {}), ...(options.device ? { device: options.device } : {}), ...(options.threads ? { threads: options.threads } : {}) }),
  });
  if (process.send) {
    const listening: RankListening = { type: 'rerankd-rank-listening', rank: options.rank ?? -1, port: server.port };
    process.send(listening);
    // The leader is this process's parent: when it goes, so does the rank.
    process.once('disconnect', () => {
      void server.close().finally(() => process.exit(0));
    });
  }
  return server;
}
