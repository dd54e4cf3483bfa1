import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { TlsOptions } from './credentials';
import { GroupFailedError } from './errors';
import { grpcGroup, type GrpcGroupExecutor, type GrpcTensorParallel } from './leader';

/** What a rank process started by a local group sends its parent once it listens. */
export interface RankListening {
  type: 'rerankd-rank-listening';
  rank: number;
  port: number;
}

export interface LocalGroupOptions {
  size: number;
  /**
   * Starts rank `rank` (1..size−1) as a child process with an IPC channel, listening on a free
   * loopback port, which it reports with a RankListening message.
   */
  spawnRank(rank: number): ChildProcess;
  tls?: TlsOptions;
  /** Host the ranks listen on and are dialled at. */
  host?: string;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

/**
 * A group of `size` ranks on this host: this process is rank 0, ranks 1..size−1 are its child
 * processes. A child that exits takes the group down (the executor's failure settles); closing
 * the group drains the ranks and then stops them. Children stop too when this process dies:
 * their IPC channel closes.
 */
export function localGroup(options: LocalGroupOptions): GrpcTensorParallel {
  return {
    size: options.size,
    async connect(spec, loadLead) {
      const log = options.log ?? (() => undefined);
      const host = options.host ?? '127.0.0.1';
      const children: ChildProcess[] = [];
      const killAll = () => children.forEach((child) => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
      process.once('exit', killAll);
      let closing = false;
      let onChildExit: (error: Error) => void = () => undefined;
      const childExited = new Promise<Error>((resolve) => (onChildExit = resolve));
      try {
        const ports = await Promise.all(
          Array.from({ length: options.size - 1 }, (_, i) => {
            const rank = i + 1;
            const child = options.spawnRank(rank);
            children.push(child);
            child.once('exit', (code, signal) => {
              if (!closing) onChildExit(new GroupFailedError(`rank ${rank} (pid ${child.pid}) exited with ${signal ?? `code ${code}`}`));
            });
            return listeningPort(child, rank, options.readyTimeoutMs ?? 120_000);
          }),
        );
        const peers = [`${host}:0`, ...ports.map((port) => `${host}:${port}`)];
        ports.forEach((port, i) => log(`tensor-parallel rank ${i + 1} pid ${children[i]?.pid} on ${host}:${port}`));
        const group: GrpcGroupExecutor = await Promise.race([
          grpcGroup({ peers, ...(options.tls ? { tls: options.tls } : {}), log, ...(options.readyTimeoutMs ? { readyTimeoutMs: options.readyTimeoutMs } : {}) }).connect(spec, loadLead),
          childExited.then((error) => Promise.reject(error)),
        ]);
        const executor: GrpcGroupExecutor = {
          ...group,
          failure: Promise.race([group.failure, childExited]),
          async close() {
            closing = true;
            await group.close();
            await Promise.all(children.map((child) => stopChild(child)));
            process.off('exit', killAll);
          },
        };
        return executor;
      } catch (error) {
        closing = true;
        killAll();
        process.off('exit', killAll);
        throw error;
      }
    },
  };
}

function listeningPort(child: ChildProcess, rank: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new GroupFailedError(`rank ${rank} did not start listening within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    child.on('message', (message: Partial<RankListening>) => {
      if (message?.type === 'rerankd-rank-listening' && typeof message.port === 'number') {
        clearTimeout(timer);
        resolve(message.port);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new GroupFailedError(`rank ${rank} exited with ${signal ?? `code ${code}`} before it listened`));
    });
  });
}

/** Closes the child's IPC channel (it leaves on its own), then SIGTERM, then SIGKILL. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  if (child.connected) child.disconnect();
  if (await exitsWithin(exited, 5_000)) return;
  child.kill('SIGTERM');
  if (!(await exitsWithin(exited, 5_000))) child.kill('SIGKILL');
}

/** Whether `exited` settles within `ms`; the timer does not keep the process alive. */
function exitsWithin(exited: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())]);
}
