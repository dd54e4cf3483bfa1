import { InvalidRequestError } from '@rerankd/protocol';
import type { BlockHash } from './kv-cache/block-hash';

/** One tokenized (query, document) pair. */
export interface TokenizedPair {
  /** Unique among the engine's live requests: the executor's logits come back keyed by it. */
  pairId: string;
  tokenIds: readonly number[];
  /** Segment ids of cross-encoder pairs (BERT), carried to the executor untouched. */
  tokenTypeIds?: readonly number[];
  /**
   * Leading tokens that do not depend on the document (system prompt, instruction, query): the
   * same for every pair of a request. 0 when nothing is shared (encoder models).
   */
  prefixLength: number;
}

/** A work item: one query's pairs and the time after which nobody waits for them. */
export interface RequestInput {
  requestId: string;
  pairs: readonly TokenizedPair[];
  /** Epoch milliseconds; a request not finished by then is dropped, not computed. */
  deadline: number;
}

/** A pair still to be run: the tokens after the shared prefix. */
export interface PendingPair {
  readonly pairId: string;
  readonly tokenIds: readonly number[];
  readonly tokenTypeIds?: readonly number[];
}

export type RequestStatus = 'waiting' | 'running';

export interface RequestOptions {
  hashBlocks: (tokenIds: readonly number[]) => BlockHash[];
  /** Ties between equal deadlines go to the request that came first. */
  arrivalOrder: number;
}

/**
 * A live work item inside the scheduler. Its whole shared prefix is computed once, into blocks
 * the request holds while it runs; the full ones are also cached for later requests.
 */
export class Request {
  readonly requestId: string;
  readonly deadline: number;
  readonly arrivalOrder: number;
  readonly numPairs: number;
  /** The shared prefix, a whole number of blocks (possibly none). */
  readonly prefixTokenIds: readonly number[];
  /** Chained hashes of the prefix blocks. */
  readonly blockHashes: readonly BlockHash[];
  /** waiting: holds no KV blocks yet; running: admitted, its prefix blocks are held until it ends. */
  status: RequestStatus = 'waiting';
  readonly pairLogits = new Map<string, readonly number[]>();
  /** Shortest first, so the pairs taken in one step are of similar length. */
  private readonly pairs: PendingPair[];
  private numTakenPairs = 0;
  /** Tokens of the pairs not yet taken. */
  private numPendingTokens: number;

  constructor(input: RequestInput, options: RequestOptions) {
    this.requestId = input.requestId;
    this.deadline = input.deadline;
    this.arrivalOrder = options.arrivalOrder;
    this.numPairs = input.pairs.length;
    const prefixLength = sharedPrefixLength(input);
    this.prefixTokenIds = (input.pairs[0] as TokenizedPair).tokenIds.slice(0, prefixLength);
    this.blockHashes = options.hashBlocks(this.prefixTokenIds);
    this.pairs = input.pairs
      .map((pair) => ({
        pairId: pair.pairId,
        tokenIds: pair.tokenIds.slice(prefixLength),
        ...(pair.tokenTypeIds ? { tokenTypeIds: pair.tokenTypeIds.slice(prefixLength) } : {}),
      }))
      .sort((a, b) => a.tokenIds.length - b.tokenIds.length);
    this.numPendingTokens = this.pairs.reduce((sum, pair) => sum + pair.tokenIds.length, 0);
  }

  /** Tokens still to compute: the pairs not yet taken, and the prefix if it is not admitted yet (cached or not). */
  get numRemainingTokens(): number {
    return this.numPendingTokens + (this.status === 'waiting' ? this.prefixLength : 0);
  }

  get prefixLength(): number {
    return this.prefixTokenIds.length;
  }

  get pairIds(): string[] {
    return this.pairs.map((pair) => pair.pairId);
  }

  /** The next pair to schedule (the shortest not yet taken). */
  get nextPair(): PendingPair | undefined {
    return this.pairs[this.numTakenPairs];
  }

  takeNextPair(): PendingPair {
    const pair = this.nextPair;
    if (pair === undefined) throw new Error(`request ${this.requestId} has no pending pair`);
    this.numTakenPairs += 1;
    this.numPendingTokens -= pair.tokenIds.length;
    return pair;
  }

  get hasPendingPairs(): boolean {
    return this.numTakenPairs < this.pairs.length;
  }

  /** Every pair has been scored. */
  get isComplete(): boolean {
    return this.pairLogits.size === this.numPairs;
  }
}

/**
 * Checks the pairs and returns how many leading tokens they share, leaving every pair at least
 * one token of its own to run (the position that is scored). The last block of a prefix may be
 * partly filled: the request computes those tokens once and holds the block, but only full
 * blocks are cached for other requests.
 */
function sharedPrefixLength(input: RequestInput): number {
  const first = input.pairs[0];
  if (first === undefined) throw new InvalidRequestError(`request ${input.requestId} has no pairs`, 'pairs');
  const pairIds = new Set<string>();
  let shared = first.prefixLength;
  for (const pair of input.pairs) {
    if (pairIds.has(pair.pairId)) throw new InvalidRequestError(`pair id ${pair.pairId} appears twice in request ${input.requestId}`, 'pairs');
    pairIds.add(pair.pairId);
    if (pair.tokenIds.length === 0) throw new InvalidRequestError(`pair ${pair.pairId} has no tokens`, 'pairs');
    if (!Number.isInteger(pair.prefixLength) || pair.prefixLength < 0 || pair.prefixLength > pair.tokenIds.length) {
      throw new InvalidRequestError(`pair ${pair.pairId} has prefixLength ${pair.prefixLength} for ${pair.tokenIds.length} tokens`, 'pairs');
    }
    if (pair.prefixLength !== first.prefixLength || !samePrefix(pair.tokenIds, first.tokenIds, first.prefixLength)) {
      throw new InvalidRequestError(`pair ${pair.pairId} does not share the prefix of pair ${first.pairId}`, 'pairs');
    }
    shared = Math.min(shared, pair.tokenIds.length - 1);
  }
  return shared;
}

function samePrefix(a: readonly number[], b: readonly number[], length: number): boolean {
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}
