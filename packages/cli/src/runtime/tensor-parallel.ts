import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { InvalidRequestError } from '@rerankd/protocol';
import { cudaDeviceId, isCuda, parseDevice, type Device, type TensorParallelOptions } from '@rerankd/model';
import { grpcGroup, localGroup, type GrpcTensorParallel, type TlsOptions } from '@rerankd/tensor-parallel';

export interface TensorParallelFlags {
  tp?: number;
  tensorParallelSize?: number;
  /** Groups across hosts (worker only). */
  rank?: number;
  peers?: string[];
  tpListenHost?: string;
  tpTlsCert?: string;
  tpTlsKey?: string;
  tpTlsCa?: string;
  tpTlsMutual?: boolean;
  tpTlsServerName?: string;
  device?: string;
  threads?: number;
}

/** The group size of --tp / --tensor-parallel-size (1 without either). */
export function tensorParallelSize(flags: TensorParallelFlags): number {
  if (flags.tp !== undefined && flags.tensorParallelSize !== undefined && flags.tp !== flags.tensorParallelSize) {
    throw new InvalidRequestError(`--tp ${flags.tp} and --tensor-parallel-size ${flags.tensorParallelSize} disagree`);
  }
  return flags.tp ?? flags.tensorParallelSize ?? 1;
}

/**
 * The peers of a group spread over hosts (--rank with --peers), checked against the size; null
 * for a group on this host.
 */
export function groupPeers(flags: TensorParallelFlags): { rank: number; peers: string[] } | null {
  const size = tensorParallelSize(flags);
  if (flags.rank === undefined && !flags.peers?.length) return null;
  if (flags.rank === undefined || !flags.peers?.length) throw new InvalidRequestError('--rank and --peers go together: this rank and every rank of the group in rank order');
  if (flags.peers.length !== size) throw new InvalidRequestError(`--peers names ${flags.peers.length} ranks for a tensor-parallel size of ${size}`);
  if (flags.rank >= size) throw new InvalidRequestError(`--rank ${flags.rank} is not a rank of a group of ${size}`);
  for (const peer of flags.peers) {
    if (!/^.+:\d+$/.test(peer)) throw new InvalidRequestError(`--peers: "${peer}" is not host:port`);
  }
  return { rank: flags.rank, peers: flags.peers };
}

/** The port a rank listens on: its own entry's in --peers. */
export function ownListenAddress(flags: TensorParallelFlags, peers: string[], rank: number): string {
  const port = /:(\d+)$/.exec(peers[rank] as string)?.[1] as string;
  return `${flags.tpListenHost ?? '0.0.0.0'}:${port}`;
}

export function tlsOptions(flags: TensorParallelFlags): TlsOptions | undefined {
  const { tpTlsCert: certFile, tpTlsKey: keyFile } = flags;
  if (!certFile && !keyFile && !flags.tpTlsCa) return undefined;
  if (!certFile || !keyFile) throw new InvalidRequestError('TLS on the rank-to-rank channel needs both --tp-tls-cert and --tp-tls-key');
  return {
    certFile,
    keyFile,
    ...(flags.tpTlsCa ? { caFile: flags.tpTlsCa } : {}),
    ...(flags.tpTlsMutual ? { mutual: true } : {}),
    ...(flags.tpTlsServerName ? { serverName: flags.tpTlsServerName } : {}),
  };
}

/** The device of rank `rank` of a group on this host: ranks take consecutive GPUs from --device. */
export function rankDevice(device: string | undefined, rank: number): Device {
  const base = parseDevice(device ?? 'cpu');
  return isCuda(base) ? `cuda:${cudaDeviceId(base) + rank}` : base;
}

/** Says why the group broke and exits non-zero, for a supervisor to restart the process. */
export function exitOnGroupFailure(error: Error): void {
  process.stderr.write(`rerankd: tensor-parallel group failed: ${error.message}; exiting\n`);
  process.exit(1);
}

/** The entry point and loader flags of this process, to start ranks the same way. */
function rankCommand(args: string[]): { command: string; args: string[] } {
  const main = process.argv[1];
  if (!main) throw new Error('cannot tell how this process was started, so cannot start its ranks');
  return { command: process.execPath, args: [...process.execArgv, main, 'tp-rank', ...args] };
}

/**
 * rank 0's tensor-parallel options for --tp N > 1: ranks 1..N−1 as child processes on this host
 * (`rerankd tp-rank`, on free loopback ports), or with --rank 0 --peers the ranks at those
 * addresses. Null for --tp 1 or for ranks above 0 (which serve, not lead).
 */
export function tensorParallelFor(
  flags: TensorParallelFlags,
  onFailure: ((error: Error) => void) | undefined,
): { options: TensorParallelOptions; threadsPerRank?: number } | null {
  const size = tensorParallelSize(flags);
  const spread = groupPeers(flags);
  if (size === 1 || (spread && spread.rank !== 0)) return null;
  const log = (line: string) => process.stderr.write(`rerankd: ${line}\n`);
  const tls = tlsOptions(flags);
  let group: GrpcTensorParallel;
  let threadsPerRank: number | undefined;
  if (spread) {
    group = grpcGroup({ peers: spread.peers, log, ...(tls ? { tls } : {}) });
  } else {
    threadsPerRank = flags.threads ?? Math.max(1, Math.floor(availableParallelism() / size));
    const threads = threadsPerRank;
    group = localGroup({
      size,
      log,
      spawnRank: (rank) => {
        const { command, args } = rankCommand(['--rank', String(rank), '--tp', String(size), '--listen', '127.0.0.1:0', '--device', rankDevice(flags.device, rank), '--threads', String(threads)]);
        return spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      },
    });
  }
  const handle = onFailure ?? exitOnGroupFailure;
  return {
    options: {
      size,
      async connect(spec, loadLead) {
        const executor = await group.connect(spec, loadLead);
        void executor.failure.then(handle);
        return executor;
      },
    },
    ...(threadsPerRank !== undefined ? { threadsPerRank } : {}),
  };
}
