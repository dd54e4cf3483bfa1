import * as grpc from '@grpc/grpc-js';
import type { LoadedShard, ShardSpec } from '@rerankd/model';
import { serverCredentials, type TlsOptions } from './credentials';
import { GroupFailedError } from './errors';
import { HealthService } from './health';
import { RankSession } from './rank-session';
import { grpcProto, SERVER_OPTIONS, TENSOR_PARALLEL_SERVICE, type ExchangeMessage, type LeaderMessage, type RankMessage } from './proto';
import { specFromMessage, weightsToMessage } from './wire';

export interface RankServerOptions {
  /** host:port to listen on; port 0 picks a free one. */
  listen: string;
  /** This rank when it is fixed (--rank); a leader that addresses another rank is refused. */
  rank?: number;
  tls?: TlsOptions;
  /** Loads the shard a leader's Hello asks for (kept for later sessions with the same spec). */
  loadShard(spec: ShardSpec, rank: number): Promise<LoadedShard>;
  /** Rank 0's own server answers health checks only: sessions start from it, not at it. */
  leader?: boolean;
  log?: (line: string) => void;
}

export interface RankServer {
  readonly port: number;
  /** Whether a leader's session is open. */
  readonly inSession: boolean;
  /** Marks the rank SERVING (or not) in its health service. */
  setServing(serving: boolean): void;
  /**
   * SIGTERM: stops answering SERVING, tells the leader of an open session that this rank is
   * leaving and waits (at most `timeoutMs`) for the leader to finish its steps and end it.
   */
  drain(reason: string, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The gRPC server of one rank: grpc.health.v1 and TensorParallel. A leader's Control stream
 * opens a session (load the shard, link to the other ranks, run steps); Exchange streams from
 * lower ranks carry the collective's tensors. One session at a time: a new Hello replaces the
 * old session (a leader that restarted).
 */
export async function startRankServer(options: RankServerOptions): Promise<RankServer> {
  const log = options.log ?? (() => undefined);
  const server = new grpc.Server(SERVER_OPTIONS);
  const health = new HealthService([TENSOR_PARALLEL_SERVICE]);
  health.addTo(server);
  let session: RankSession | null = null;
  let shard: { key: string; loaded: Promise<LoadedShard> } | null = null;
  const sessionEnded = new Set<() => void>();
  // Steps run one at a time on the shard, across sessions too: a replaced session's last step
  // finishes (or fails at its next collective) before the new session's first one starts.
  let stepLock: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(run: () => Promise<T>): Promise<T> => {
    const result = stepLock.then(run);
    stepLock = result.catch(() => undefined);
    return result;
  };

  const shardFor = async (spec: ShardSpec, rank: number): Promise<LoadedShard> => {
    const key = JSON.stringify({ spec, rank });
    if (shard?.key !== key) {
      const previous = shard;
      shard = null;
      if (previous) await (await previous.loaded.catch(() => null))?.release();
      shard = { key, loaded: options.loadShard(spec, rank) };
      // A failed load is not kept: the next Hello tries again.
      shard.loaded.catch(() => {
        if (shard?.key === key) shard = null;
      });
    }
    return shard.loaded;
  };

  const endSession = (ending: RankSession, error: Error | null) => {
    ending.end(error);
    if (session === ending) {
      session = null;
      log(`session ${ending.id} ended${error ? `: ${error.message}` : ''}`);
      for (const notify of sessionEnded) notify();
    }
  };

  const control = (call: grpc.ServerDuplexStream<LeaderMessage, RankMessage>) => {
    if (options.leader) {
      call.emit('error', { code: grpc.status.FAILED_PRECONDITION, details: 'this is rank 0: it leads the group and takes no session' });
      return;
    }
    let mine: RankSession | null = null;
    let queue = Promise.resolve();
    const fail = (error: Error) => {
      if (mine) endSession(mine, error);
    };
    call.on('data', (message: LeaderMessage) => {
      queue = queue.then(async () => {
        if (message.kind === 'hello') {
          const { sessionId, rank, spec, peers } = message.hello;
          if (options.rank !== undefined && rank !== options.rank) {
            call.write({ failure: { message: `this is rank ${options.rank}; the leader addressed it as rank ${rank}` } });
            if (call.writable) call.end();
            return;
          }
          if (session) endSession(session, new GroupFailedError(`a new session ${sessionId} replaced it`));
          mine = new RankSession({ id: sessionId, rank, peers, size: spec.size, control: call, tls: options.tls, onFailed: (error) => fail(error) });
          session = mine;
          log(`session ${sessionId}: rank ${rank} of ${spec.size}, loading its shard of ${spec.model}`);
          const loaded = await shardFor(specFromMessage(spec), rank);
          mine.shard = loaded;
          call.write({ loaded: weightsToMessage(loaded.weights) });
        } else if (!mine || session !== mine) {
          call.write({ failure: { message: 'no session: the leader must send Hello first' } });
        } else if (message.kind === 'link') {
          await mine.link();
          call.write({ linked: {} });
        } else if (message.kind === 'step') {
          const current = mine;
          const seconds = await exclusive(() => current.runStep(message.step));
          call.write({ stepDone: { stepId: message.step.stepId, seconds } });
        } else if (message.kind === 'drain') {
          endSession(mine, null);
        }
      }).catch((error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        log(`session failed: ${failure.message}`);
        if (mine) {
          fail(failure); // tells the leader, and closes the stream
        } else if (call.writable) {
          call.write({ failure: { message: failure.message } });
          call.end();
        }
      });
    });
    // After the messages before it: a Drain then the end of the stream is a clean end.
    call.on('end', () => {
      queue = queue.then(() => {
        fail(new GroupFailedError('the leader closed the session'));
        if (call.writable) call.end();
      });
    });
    call.on('error', (error: Error) => fail(new GroupFailedError(`the leader's stream broke: ${error.message}`)));
    call.on('cancelled', () => fail(new GroupFailedError('the leader cancelled the session')));
  };

  const exchange = (call: grpc.ServerDuplexStream<ExchangeMessage, ExchangeMessage>) => {
    call.once('data', (first: ExchangeMessage) => {
      const current = session;
      if (first.kind !== 'open' || !current || current.id !== first.open.sessionId || first.open.rank >= current.rank) {
        call.emit('error', { code: grpc.status.FAILED_PRECONDITION, details: `no session ${first.kind === 'open' ? first.open.sessionId : ''} with a lower rank here` });
        return;
      }
      current.acceptLink(first.open.rank, call);
    });
  };

  const { TensorParallel } = grpcProto();
  server.addService(TensorParallel.service, { control, exchange } as unknown as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(options.listen, serverCredentials(options.tls), (error, bound) => (error ? reject(error) : resolve(bound))),
  );

  const setServing = (serving: boolean) => {
    health.setStatus(serving ? 'SERVING' : 'NOT_SERVING');
  };

  return {
    port,
    get inSession() {
      return session !== null;
    },
    setServing,
    async drain(reason, timeoutMs) {
      setServing(false);
      const current = session;
      if (!current) return;
      const ended = new Promise<void>((resolve) => sessionEnded.add(resolve));
      current.leave(reason);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([ended, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    },
    async close() {
      setServing(false);
      if (session) endSession(session, new GroupFailedError('the rank is shutting down'));
      server.forceShutdown();
      const loaded = await shard?.loaded.catch(() => null);
      await loaded?.release();
    },
  };
}
