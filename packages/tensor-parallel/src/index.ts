/**
 * Tensor-parallel worker groups over gRPC: rank 0 (the leader, with the queue, tokenizer and
 * scheduler) sends each engine step to ranks 1..N−1, every rank runs its shard, and the ranks
 * all-reduce their partial results over long-lived Exchange streams (proto/rerankd/tp/v1).
 */
export { grpcGroup, type GrpcGroupOptions, type GrpcGroupExecutor, type GrpcTensorParallel, type GroupInfo } from './leader';
export { localGroup, type LocalGroupOptions, type RankListening } from './local-group';
export { startRankServer, type RankServer, type RankServerOptions } from './rank-server';
export { runRankProcess, type RankProcessOptions } from './rank-process';
export { MeshCollective, TWO_SHOT_MIN_BYTES, type CollectiveTraffic, type PeerLink } from './mesh-collective';
export { GroupFailedError } from './errors';
export type { TlsOptions } from './credentials';
export { HealthService, type ServingStatus } from './health';
export { benchExchange, type ExchangeBenchOptions, type ExchangeBenchResult } from './exchange-bench';
