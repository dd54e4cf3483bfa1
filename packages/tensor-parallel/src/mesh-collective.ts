import { sumInRankOrder, type Collective } from '@rerankd/model';
import { GroupFailedError } from './errors';
import type { TensorMessage } from './proto';
import { tensorBytes, tensorFromBytes } from './wire';

/** One end of an Exchange stream: sends this rank's tensors to one peer. */
export interface PeerLink {
  send(tensor: TensorMessage): void;
}

/** Traffic of the collective so far, for benchmarks and the step log. */
export interface CollectiveTraffic {
  calls: number;
  /** Bytes of the tensors reduced (one rank's partials). */
  bytesReduced: number;
  /** Bytes this rank sent over its links. */
  bytesSent: number;
  seconds: number;
}

/**
 * Above this size (and with more than two ranks) the all-reduce runs in two shots: a
 * reduce-scatter, then an all-gather, so each rank sends 2·(N−1)/N of the tensor instead of N−1
 * times it. Below it one shot (every rank sends everything to every other) saves a round trip.
 */
export const TWO_SHOT_MIN_BYTES = 256 * 1024;

const WHOLE = 0;
const SCATTER = 1;
const GATHER = 2;

type Waiter = { resolve: (data: Float32Array) => void; reject: (error: Error) => void };

/**
 * All-reduce (sum) over direct links to every other rank of the group: the long-lived Exchange
 * streams. Each collective is numbered; a tensor that arrives before this rank asks for it waits
 * in a buffer. Every element is summed in rank order on whichever rank sums it, so all ranks end
 * with the same bits whatever the algorithm.
 */
export class MeshCollective implements Collective {
  readonly traffic: CollectiveTraffic = { calls: 0, bytesReduced: 0, bytesSent: 0, seconds: 0 };
  private readonly links = new Map<number, PeerLink>();
  private readonly arrived = new Map<string, Float32Array>();
  private readonly waiting = new Map<string, Waiter>();
  private nextSequence = 0;
  private failure: Error | null = null;

  constructor(
    readonly size: number,
    readonly rank: number,
  ) {}

  /** The link to `peer`; every other rank needs one before the first collective. */
  addLink(peer: number, link: PeerLink): void {
    this.links.set(peer, link);
  }

  get numLinks(): number {
    return this.links.size;
  }

  /** A tensor from `peer` (what its Exchange stream delivered). */
  receive(peer: number, tensor: TensorMessage): void {
    const key = keyOf(tensor.sequence, tensor.phase, tensor.part, peer);
    const data = tensorFromBytes(tensor.data);
    const waiter = this.waiting.get(key);
    if (waiter) {
      this.waiting.delete(key);
      waiter.resolve(data);
    } else {
      this.arrived.set(key, data);
    }
  }

  /** Fails every collective in progress and every later one: a link broke or the session ended. */
  abort(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
    this.arrived.clear();
  }

  async allReduceSum(partial: Float32Array): Promise<Float32Array> {
    if (this.failure) throw this.failure;
    const started = performance.now();
    const sequence = this.nextSequence++;
    const sum =
      this.size > 2 && partial.byteLength >= TWO_SHOT_MIN_BYTES ? await this.twoShot(sequence, partial) : await this.oneShot(sequence, partial);
    this.traffic.calls++;
    this.traffic.bytesReduced += partial.byteLength;
    this.traffic.seconds += (performance.now() - started) / 1000;
    return sum;
  }

  /** Everyone sends its whole partial to everyone and sums all of them. Partials are never written after they are sent. */
  private async oneShot(sequence: number, partial: Float32Array): Promise<Float32Array> {
    for (const peer of this.peers()) this.send(peer, { sequence, phase: WHOLE, part: 0, data: tensorBytes(partial) });
    const parts = await Promise.all(this.ranks().map((r) => (r === this.rank ? partial : this.expect(sequence, WHOLE, 0, r))));
    return sumInRankOrder(parts, new Float32Array(partial.length));
  }

  /** Rank j sums slice j of every partial (reduce-scatter), then sends its sum to the others (all-gather). */
  private async twoShot(sequence: number, partial: Float32Array): Promise<Float32Array> {
    const bounds = this.ranks().map((r) => Math.floor((r * partial.length) / this.size));
    bounds.push(partial.length);
    const slice = (data: Float32Array, r: number) => data.subarray(bounds[r], bounds[r + 1]);
    for (const peer of this.peers()) this.send(peer, { sequence, phase: SCATTER, part: peer, data: tensorBytes(slice(partial, peer)) });
    const start = bounds[this.rank] as number;
    const end = bounds[this.rank + 1] as number;
    const mine = await Promise.all(this.ranks().map((r) => (r === this.rank ? slice(partial, r) : this.expect(sequence, SCATTER, this.rank, r))));
    const out = new Float32Array(partial.length);
    sumInRankOrder(mine, out.subarray(start, end));
    // A copy: the caller may write into `out` before gRPC serializes a queued message.
    const summed = tensorBytes(out.slice(start, end));
    for (const peer of this.peers()) this.send(peer, { sequence, phase: GATHER, part: this.rank, data: summed });
    const others = await Promise.all(this.peers().map(async (r) => ({ r, data: await this.expect(sequence, GATHER, r, r) })));
    for (const { r, data } of others) out.set(data, bounds[r]);
    return out;
  }

  private send(peer: number, tensor: TensorMessage): void {
    const link = this.links.get(peer);
    if (!link) throw new GroupFailedError(`rank ${this.rank} has no link to rank ${peer}`);
    link.send(tensor);
    this.traffic.bytesSent += tensor.data.byteLength;
  }

  private expect(sequence: number, phase: number, part: number, peer: number): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    const key = keyOf(sequence, phase, part, peer);
    const data = this.arrived.get(key);
    if (data) {
      this.arrived.delete(key);
      return Promise.resolve(data);
    }
    return new Promise((resolve, reject) => this.waiting.set(key, { resolve, reject }));
  }

  private ranks(): number[] {
    return Array.from({ length: this.size }, (_, r) => r);
  }

  private peers(): number[] {
    return this.ranks().filter((r) => r !== this.rank);
  }
}

function keyOf(sequence: number, phase: number, part: number, peer: number): string {
  return `${sequence}:${phase}:${part}:${peer}`;
}
