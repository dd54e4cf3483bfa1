import type * as grpc from '@grpc/grpc-js';
import type { LoadedShard } from '@rerankd/model';
import type { TlsOptions } from './credentials';
import { GroupFailedError } from './errors';
import { MeshCollective } from './mesh-collective';
import { openExchange, peerClient, type PeerClient } from './peer-client';
import type { ExchangeMessage, LeaderMessage, RankMessage, StepMessage } from './proto';
import { stepFromMessage } from './wire';

export interface RankSessionOptions {
  id: string;
  rank: number;
  size: number;
  /** Every rank's address, in rank order. */
  peers: string[];
  control: grpc.ServerDuplexStream<LeaderMessage, RankMessage>;
  tls: TlsOptions | undefined;
  /** A link broke: the session cannot go on. */
  onFailed(error: Error): void;
}

/**
 * One leader's session on a rank (1..N−1): its links to the other ranks, the collective over
 * them, and the steps it runs on the rank's shard.
 */
export class RankSession {
  readonly id: string;
  readonly rank: number;
  shard: LoadedShard | null = null;
  private readonly collective: MeshCollective;
  private readonly clients: PeerClient[] = [];
  private readonly outgoing: grpc.ClientDuplexStream<ExchangeMessage, ExchangeMessage>[] = [];
  private readonly incoming: grpc.ServerDuplexStream<ExchangeMessage, ExchangeMessage>[] = [];
  private ended = false;

  constructor(private readonly options: RankSessionOptions) {
    this.id = options.id;
    this.rank = options.rank;
    this.collective = new MeshCollective(options.size, options.rank);
  }

  /** Opens the Exchange streams to every rank above this one. */
  async link(): Promise<void> {
    const { peers, size, tls } = this.options;
    if (peers.length !== size) throw new GroupFailedError(`the leader named ${peers.length} peers for a group of ${size}`);
    await Promise.all(
      peers.slice(this.rank + 1).map(async (address, i) => {
        const peerRank = this.rank + 1 + i;
        const client = peerClient(address, tls);
        this.clients.push(client);
        const stream = await openExchange(client, { sessionId: this.id, rank: this.rank }, peerRank, this.collective, (error) => this.failed(error));
        this.outgoing.push(stream);
      }),
    );
  }

  /** An Exchange stream a lower rank opened to this one. */
  acceptLink(peerRank: number, call: grpc.ServerDuplexStream<ExchangeMessage, ExchangeMessage>): void {
    this.incoming.push(call);
    this.collective.addLink(peerRank, { send: (tensor) => call.write({ tensor }) });
    call.on('data', (message: ExchangeMessage) => {
      if (message.kind === 'tensor') this.collective.receive(peerRank, message.tensor);
    });
    call.on('end', () => this.failed(new GroupFailedError(`rank ${peerRank} closed its link to rank ${this.rank}`)));
    call.on('error', (error: Error) => this.failed(new GroupFailedError(`the link from rank ${peerRank} to rank ${this.rank} broke: ${error.message}`)));
    call.on('cancelled', () => this.failed(new GroupFailedError(`rank ${peerRank} cancelled its link to rank ${this.rank}`)));
    call.write({ open: { sessionId: this.id, rank: this.rank } });
  }

  /** Runs one step on the shard; returns its seconds. */
  async runStep(message: StepMessage): Promise<number> {
    if (!this.shard) throw new GroupFailedError('a step arrived before the shard was loaded');
    const started = performance.now();
    await this.shard.execute(stepFromMessage(message), this.collective);
    return (performance.now() - started) / 1000;
  }

  /** Tells the leader this rank is going away, so it stops taking work and ends the session. */
  leave(reason: string): void {
    if (!this.ended && this.options.control.writable) this.options.control.write({ leaving: { reason } });
  }

  /** Closes the links; collectives in progress fail with `error` (or a plain end of session). */
  end(error: Error | null): void {
    if (this.ended) return;
    this.ended = true;
    this.collective.abort(error ?? new GroupFailedError(`session ${this.id} ended`));
    for (const stream of this.outgoing) stream.cancel();
    for (const call of this.incoming) if (call.writable) call.end();
    for (const client of this.clients) client.close();
    const { control } = this.options;
    if (error && control.writable) control.write({ failure: { message: error.message } });
    if (control.writable) control.end();
  }

  private failed(error: Error): void {
    if (!this.ended) this.options.onFailed(error);
  }
}
