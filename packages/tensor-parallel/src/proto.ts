import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_DESCRIPTOR } from './generated/proto-descriptor';

export const TENSOR_PARALLEL_SERVICE = 'rerankd.tp.v1.TensorParallel';

/** camelCase fields, uint64 as numbers, one `kind` field per oneof naming the field that is set. */
const LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

interface GrpcProto {
  TensorParallel: grpc.ServiceClientConstructor;
  Health: grpc.ServiceClientConstructor;
}

let loaded: GrpcProto | null = null;

/**
 * The services of proto/rerankd/tp/v1/tensor_parallel.proto and proto/grpc/health/v1/health.proto,
 * from their generated descriptor (no file is read at run time, so bundles work), loaded once.
 */
export function grpcProto(): GrpcProto {
  if (loaded) return loaded;
  const definition = protoLoader.fromJSON(PROTO_DESCRIPTOR as Parameters<typeof protoLoader.fromJSON>[0], LOADER_OPTIONS);
  const services = grpc.loadPackageDefinition(definition) as unknown as {
    rerankd: { tp: { v1: { TensorParallel: grpc.ServiceClientConstructor } } };
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  loaded = { TensorParallel: services.rerankd.tp.v1.TensorParallel, Health: services.grpc.health.v1.Health };
  return loaded;
}

/** Tensors of a step reach tens of MiB; gRPC's 4 MiB default would refuse them. */
export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
  // A peer that vanishes without closing its connection (a host gone) is noticed within seconds.
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc-node.flow_control_window': 64 * 1024 * 1024,
};

export const SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
};

// Messages as proto-loader gives and takes them (see proto/rerankd/tp/v1/tensor_parallel.proto).

export interface ShardSpecMessage {
  size: number;
  model: string;
  fingerprint: string;
  dtype: string;
  maxPositions: number;
  numKvBlocks: number;
  kvBlockSize: number;
  quantization: string;
  headTokenIds: number[];
}

export interface SequenceMessage {
  tokenIds: number[];
  startPosition: number;
}

export interface PrefixGroupMessage {
  blockIds: number[];
  prefixLength: number;
  numCachedTokens: number;
  newPrefixTokenIds: number[];
  pairs: SequenceMessage[];
}

export interface StepMessage {
  stepId: number;
  blockSize: number;
  prefixGroups: PrefixGroupMessage[];
  unsharedBatches: { sequences: SequenceMessage[] }[];
}

export type LeaderMessage =
  | { kind?: 'hello'; hello: { sessionId: string; rank: number; spec: ShardSpecMessage; peers: string[] } }
  | { kind?: 'link'; link: Record<string, never> }
  | { kind?: 'step'; step: StepMessage }
  | { kind?: 'drain'; drain: Record<string, never> };

export interface WeightsMessage {
  slicedBytes: number;
  slicedFullBytes: number;
  wholeBytes: number;
  graphBytes: number;
}

export type RankMessage =
  | { kind?: 'loaded'; loaded: WeightsMessage }
  | { kind?: 'linked'; linked: Record<string, never> }
  | { kind?: 'stepDone'; stepDone: { stepId: number; seconds: number } }
  | { kind?: 'failure'; failure: { message: string } }
  | { kind?: 'leaving'; leaving: { reason: string } };

export interface TensorMessage {
  sequence: number;
  part: number;
  phase: number;
  data: Uint8Array;
}

export type ExchangeMessage = { kind?: 'open'; open: { sessionId: string; rank: number } } | { kind?: 'tensor'; tensor: TensorMessage };
