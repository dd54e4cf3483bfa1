import * as grpc from '@grpc/grpc-js';
import { serverCredentials, type TlsOptions } from './credentials';
import { MeshCollective } from './mesh-collective';
import { openExchange, peerClient } from './peer-client';
import { grpcProto, SERVER_OPTIONS, type ExchangeMessage } from './proto';

export interface ExchangeBenchOptions {
  /** Bytes of each rank's partial (float32). */
  bytes: number;
  /** All-reduces timed, after as many warm-up ones. */
  calls: number;
  tls?: TlsOptions;
}

export interface ExchangeBenchResult {
  bytes: number;
  calls: number;
  /** Mean wall time of one all-reduce. */
  msPerCall: number;
  /** Partial bytes reduced per second. */
  bytesPerSecond: number;
}

/**
 * The all-reduce of two ranks over a real Exchange stream on loopback, both ends in this process
 * (so serialization on both sides shares one thread: an upper bound of the transfer's cost), with
 * no model: what the collective costs without waiting for a slower rank.
 */
export async function benchExchange(options: ExchangeBenchOptions): Promise<ExchangeBenchResult> {
  const server = new grpc.Server(SERVER_OPTIONS);
  const serverSide = new MeshCollective(2, 1);
  const { TensorParallel } = grpcProto();
  server.addService(TensorParallel.service, {
    control: (call: grpc.ServerDuplexStream<unknown, unknown>) => call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'exchange only' }),
    exchange: (call: grpc.ServerDuplexStream<ExchangeMessage, ExchangeMessage>) => {
      call.on('data', (message: ExchangeMessage) => {
        if (message.kind === 'open') {
          serverSide.addLink(0, { send: (tensor) => call.write({ tensor }) });
          call.write({ open: { sessionId: message.open.sessionId, rank: 1 } });
        } else if (message.kind === 'tensor') {
          serverSide.receive(0, message.tensor);
        }
      });
    },
  } as unknown as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', serverCredentials(options.tls), (e, p) => (e ? reject(e) : resolve(p))));
  const client = peerClient(`127.0.0.1:${port}`, options.tls);
  const clientSide = new MeshCollective(2, 0);
  const stream = await openExchange(client, { sessionId: 'bench', rank: 0 }, 1, clientSide, () => undefined);
  try {
    const length = Math.max(1, Math.floor(options.bytes / 4));
    const a = Float32Array.from({ length }, (_, i) => i % 7);
    const b = Float32Array.from({ length }, (_, i) => i % 5);
    const round = () => Promise.all([clientSide.allReduceSum(a), serverSide.allReduceSum(b)]);
    for (let i = 0; i < options.calls; i++) await round();
    const started = performance.now();
    for (let i = 0; i < options.calls; i++) await round();
    const seconds = (performance.now() - started) / 1000;
    return { bytes: length * 4, calls: options.calls, msPerCall: (1000 * seconds) / options.calls, bytesPerSecond: (length * 4 * options.calls) / seconds };
  } finally {
    stream.cancel();
    client.close();
    server.forceShutdown();
  }
}
