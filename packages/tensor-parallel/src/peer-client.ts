import type * as grpc from '@grpc/grpc-js';
import { GroupFailedError } from './errors';
import type { MeshCollective } from './mesh-collective';
import { CHANNEL_OPTIONS, grpcProto, TENSOR_PARALLEL_SERVICE, type ExchangeMessage, type LeaderMessage, type RankMessage } from './proto';
import { channelCredentials, tlsChannelOptions, type TlsOptions } from './credentials';

/** A client of one rank's TensorParallel and Health services. */
export interface PeerClient {
  readonly address: string;
  /** Whether the rank answers SERVING to a health check within `timeoutMs`. */
  checkServing(timeoutMs: number): Promise<boolean>;
  control(): grpc.ClientDuplexStream<LeaderMessage, RankMessage>;
  exchange(): grpc.ClientDuplexStream<ExchangeMessage, ExchangeMessage>;
  close(): void;
}

type HealthClient = grpc.Client & {
  check(request: { service: string }, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: { status: string }) => void): void;
};
type TensorParallelClient = grpc.Client & {
  control(): grpc.ClientDuplexStream<LeaderMessage, RankMessage>;
  exchange(): grpc.ClientDuplexStream<ExchangeMessage, ExchangeMessage>;
};

export function peerClient(address: string, tls: TlsOptions | undefined): PeerClient {
  const { TensorParallel, Health } = grpcProto();
  const credentials = channelCredentials(tls);
  const options = { ...CHANNEL_OPTIONS, ...tlsChannelOptions(tls) };
  const client = new TensorParallel(address, credentials, options) as unknown as TensorParallelClient;
  // The health client shares the channel of the service client.
  const health = new Health(address, credentials, { ...options, channelOverride: client.getChannel() }) as unknown as HealthClient;
  return {
    address,
    checkServing: (timeoutMs) =>
      new Promise((resolve) => {
        health.check({ service: TENSOR_PARALLEL_SERVICE }, { deadline: Date.now() + timeoutMs }, (error, response) => resolve(!error && response?.status === 'SERVING'));
      }),
    control: () => client.control(),
    exchange: () => client.exchange(),
    close: () => client.close(),
  };
}

/** Polls a rank's health until it answers SERVING, or fails after `timeoutMs`. */
export async function waitServing(peer: PeerClient, rank: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await peer.checkServing(Math.min(2_000, Math.max(1, deadline - Date.now())))) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new GroupFailedError(`rank ${rank} at ${peer.address} did not answer SERVING to health checks within ${Math.round(timeoutMs / 1000)} s`);
}

/**
 * Opens this rank's Exchange stream to a higher rank and waits for its Open; from then on the
 * stream carries the collective's tensors both ways. `onClosed` hears of the stream's end.
 */
export async function openExchange(
  peer: PeerClient,
  own: { sessionId: string; rank: number },
  peerRank: number,
  collective: MeshCollective,
  onClosed: (error: Error) => void,
): Promise<grpc.ClientDuplexStream<ExchangeMessage, ExchangeMessage>> {
  const stream = peer.exchange();
  let opened = false;
  await new Promise<void>((resolve, reject) => {
    const closed = (error: Error) => {
      if (!opened) reject(error);
      onClosed(error);
    };
    stream.on('data', (message: ExchangeMessage) => {
      if (message.kind === 'open' && !opened) {
        opened = true;
        collective.addLink(peerRank, { send: (tensor) => stream.write({ tensor }) });
        resolve();
      } else if (message.kind === 'tensor') {
        collective.receive(peerRank, message.tensor);
      }
    });
    stream.on('error', (error: Error) => closed(new GroupFailedError(`the link from rank ${own.rank} to rank ${peerRank} at ${peer.address} broke: ${error.message}`)));
    stream.on('end', () => closed(new GroupFailedError(`rank ${peerRank} at ${peer.address} closed its link to rank ${own.rank}`)));
    stream.write({ open: { sessionId: own.sessionId, rank: own.rank } });
  });
  return stream;
}
