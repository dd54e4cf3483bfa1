import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { SchedulerOutput } from '@rerankd/engine';
import { stepSequences, type CollectiveStats, type GroupExecutor, type LoadedShard, type ShardSpec, type ShardWeightReport, type TensorParallelOptions } from '@rerankd/model';
import type { TlsOptions } from './credentials';
import { GroupFailedError } from './errors';
import { MeshCollective, type CollectiveTraffic } from './mesh-collective';
import { openExchange, peerClient, waitServing, type PeerClient } from './peer-client';
import type { ExchangeMessage, LeaderMessage, RankMessage, WeightsMessage } from './proto';
import { specToMessage, stepToMessage } from './wire';

export interface GrpcGroupOptions {
  /** Every rank's host:port in rank order; entry 0 (this process) is not dialled. */
  peers: string[];
  tls?: TlsOptions;
  /** How long the other ranks may take to answer SERVING, then to load their shards (default 10 min). */
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

/** The leader's view of a connected group, for reports and benchmarks. */
export interface GroupInfo {
  readonly sessionId: string;
  readonly weights: ShardWeightReport[];
  readonly traffic: CollectiveTraffic;
  /** Rank 0's time in its segments and in the collective. */
  readonly leadStats: CollectiveStats;
}

export type GrpcGroupExecutor = GroupExecutor & GroupInfo;

/** TensorParallelOptions whose executor also reports on the group. */
export interface GrpcTensorParallel extends TensorParallelOptions {
  connect(spec: ShardSpec, loadLead: () => Promise<LoadedShard>): Promise<GrpcGroupExecutor>;
}

type Deferred<T> = { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void };

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => undefined); // settled by the group; awaited only where needed
  return { promise, resolve, reject };
}

/** One other rank, as the leader drives it. */
interface Rank {
  rank: number;
  client: PeerClient;
  control: grpc.ClientDuplexStream<LeaderMessage, RankMessage>;
  loaded: Deferred<WeightsMessage>;
  linked: Deferred<void>;
  steps: Map<number, Deferred<void>>;
  ended: Deferred<void>;
}

/**
 * Tensor parallelism over gRPC with this process as rank 0: `connect` checks that every other
 * rank answers SERVING, opens a session (Hello with the spec and the peers, while rank 0 loads
 * its own shard), links the ranks (Exchange streams) and returns the executor that sends each
 * step to the ranks and runs rank 0's shard beside them.
 */
export function grpcGroup(options: GrpcGroupOptions): GrpcTensorParallel {
  return { size: options.peers.length, connect: (spec, loadLead) => connectGroup(options, spec, loadLead) };
}

async function connectGroup(options: GrpcGroupOptions, spec: ShardSpec, loadLead: () => Promise<LoadedShard>): Promise<GrpcGroupExecutor> {
  const log = options.log ?? (() => undefined);
  const size = options.peers.length;
  if (size !== spec.size) throw new GroupFailedError(`${size} peers for a tensor-parallel size of ${spec.size}`);
  const timeoutMs = options.readyTimeoutMs ?? 600_000;
  const sessionId = randomUUID();
  const collective = new MeshCollective(size, 0);
  const failure = deferred<Error>();
  let failed: Error | null = null;
  let closing = false;
  const outgoing: grpc.ClientDuplexStream<ExchangeMessage, ExchangeMessage>[] = [];

  const ranks: Rank[] = options.peers.slice(1).map((address, i) => {
    const rank = i + 1;
    const client = peerClient(address, options.tls);
    return { rank, client, control: undefined as never, loaded: deferred(), linked: deferred(), steps: new Map(), ended: deferred() };
  });

  /** Stop taking work: the group lost a rank, or one is leaving. Steps may still run while nothing broke. */
  const lose = (error: Error) => {
    if (!closing) failure.resolve(error);
  };
  /** The group is broken: every step in progress and later fails. */
  const fail = (error: Error) => {
    if (failed || closing) return;
    failed = error;
    log(`tensor-parallel group failed: ${error.message}`);
    lose(error);
    collective.abort(error);
    for (const r of ranks) {
      r.loaded.reject(error);
      r.linked.reject(error);
      for (const step of r.steps.values()) step.reject(error);
      r.steps.clear();
      r.control?.cancel();
    }
    for (const stream of outgoing) stream.cancel();
  };
  const checkFailed = () => {
    if (failed) throw failed;
  };

  try {
    // Health first: a rank that is not up yet is waited for, one that never comes is named.
    await Promise.all(ranks.map((r) => waitServing(r.client, r.rank, timeoutMs)));
    log(`tensor-parallel group: ranks 1..${size - 1} answer SERVING; session ${sessionId}`);
    for (const r of ranks) {
      r.control = r.client.control();
      r.control.on('data', (message: RankMessage) => {
        switch (message.kind) {
          case 'loaded':
            return r.loaded.resolve(message.loaded);
          case 'linked':
            return r.linked.resolve();
          case 'stepDone': {
            const step = r.steps.get(message.stepDone.stepId);
            r.steps.delete(message.stepDone.stepId);
            return step?.resolve();
          }
          case 'failure':
            return fail(new GroupFailedError(`rank ${r.rank} failed: ${message.failure.message}`));
          case 'leaving':
            log(`rank ${r.rank} is leaving (${message.leaving.reason}): the group stops taking work`);
            return lose(new GroupFailedError(`rank ${r.rank} is leaving: ${message.leaving.reason}`));
        }
      });
      r.control.on('error', (error: Error) => {
        r.ended.resolve();
        fail(new GroupFailedError(`rank ${r.rank} at ${r.client.address} is gone: ${error.message}`));
      });
      r.control.on('end', () => {
        r.ended.resolve();
        fail(new GroupFailedError(`rank ${r.rank} at ${r.client.address} ended the session`));
      });
      r.control.write({ hello: { sessionId, rank: r.rank, spec: specToMessage(spec), peers: options.peers } });
    }
    const [lead, ...weights] = await Promise.all([loadLead(), ...ranks.map((r) => r.loaded.promise)]);
    try {
      checkFailed();
      for (const r of ranks) r.control.write({ link: {} });
      await Promise.all([
        ...ranks.map(async (r) => outgoing.push(await openExchange(r.client, { sessionId, rank: 0 }, r.rank, collective, fail))),
        ...ranks.map((r) => r.linked.promise),
      ]);
      checkFailed();
    } catch (error) {
      await lead.release();
      throw error;
    }
    log(`tensor-parallel group of ${size} linked`);

    return {
      sessionId,
      weights: [lead.weights, ...weights],
      traffic: collective.traffic,
      leadStats: lead.collectiveStats,
      failure: failure.promise,
      async execute(plan: SchedulerOutput) {
        checkFailed();
        const done = ranks.map((r) => {
          const step = deferred<void>();
          r.steps.set(plan.stepId, step);
          return step.promise;
        });
        const message = { step: stepToMessage(plan) };
        for (const r of ranks) r.control.write(message);
        let logits: number[][] | null;
        try {
          [logits] = await Promise.all([lead.execute(plan, collective), ...done]);
        } catch (error) {
          const reason = failed ?? new GroupFailedError(`step ${plan.stepId} failed on rank 0: ${(error as Error).message}`);
          fail(reason);
          throw reason;
        }
        const byPair = new Map<string, number[]>();
        stepSequences(plan).forEach((pair, i) => byPair.set(pair.pairId, logits?.[i] ?? []));
        return byPair;
      },
      async close() {
        closing = true;
        if (!failed) {
          for (const r of ranks) {
            r.control.write({ drain: {} });
            r.control.end();
          }
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([Promise.all(ranks.map((r) => r.ended.promise)), new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
          clearTimeout(timer);
        }
        collective.abort(new GroupFailedError('the group is closed'));
        for (const stream of outgoing) stream.cancel();
        for (const r of ranks) r.client.close();
        await lead.release();
      },
    };
  } catch (error) {
    fail(error instanceof Error ? error : new Error(String(error)));
    for (const r of ranks) r.client.close();
    throw error;
  }
}
