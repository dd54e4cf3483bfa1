import { InvalidRequestError } from '@rerankd/protocol';
import { MissingLogitsError } from '../errors';
import type { KVCacheManager } from '../kv-cache/kv-cache-manager';
import { Request, type PendingPair, type RequestInput } from '../request';
import type { EngineStats } from '../stats';
import { paddingOf, splitByLength } from './length-batches';
import type { FinishedRequest, PrefixGroup, ScheduledPair, SchedulerOutput } from './output';
import { StepBudget } from './step-budget';

export interface SchedulerOptions {
  kvCacheManager: KVCacheManager;
  /**
   * Most tokens computed per step: new prefix tokens and the pairs' own tokens (cached prefix
   * tokens are free). A pair longer than this runs alone in a step.
   */
  maxNumBatchedTokens: number;
  /** Most pairs per step. */
  maxNumPairs: number;
  /** A batch is cut before a pair that would push padding past this fraction of the batch. Default 0.25. */
  maxPaddingFraction?: number;
  /** Clock for deadlines, epoch milliseconds. */
  now?: () => number;
}

/** A request's part of the step being built. */
interface StepPick {
  /** Prefix tokens whose KV is in the request's blocks before this step computes anything. */
  numCachedPrefixTokens: number;
  /** Tokens charged to the request this step (new prefix tokens and pair tokens). */
  numTokens: number;
  pairs: PendingPair[];
}

/**
 * Continuous batching for reranking. Every step takes pairs from any number of requests under a
 * token budget and a pair cap. First, small requests, fewest remaining tokens first, are taken
 * whole within half the budget, so that one arriving behind huge requests finishes in the next
 * step; then, earliest deadline first, each request gets at most an equal share of what is left;
 * then the rest goes to the same order without shares. A request's prefix blocks are allocated
 * when it is admitted and held until it ends; all its pairs run against them.
 */
export class Scheduler {
  private readonly kv: KVCacheManager;
  private readonly maxNumBatchedTokens: number;
  private readonly maxNumPairs: number;
  private readonly maxPaddingFraction: number;
  private readonly now: () => number;
  private readonly requests = new Map<string, Request>();
  private readonly livePairIds = new Set<string>();
  private numArrivals = 0;
  private numSteps = 0;

  constructor(options: SchedulerOptions) {
    for (const name of ['maxNumBatchedTokens', 'maxNumPairs'] as const) {
      if (!Number.isInteger(options[name]) || options[name] < 1) throw new RangeError(`${name} must be a positive integer, got ${options[name]}`);
    }
    this.kv = options.kvCacheManager;
    this.maxNumBatchedTokens = options.maxNumBatchedTokens;
    this.maxNumPairs = options.maxNumPairs;
    this.maxPaddingFraction = options.maxPaddingFraction ?? 0.25;
    if (!(this.maxPaddingFraction >= 0 && this.maxPaddingFraction < 1)) throw new RangeError(`maxPaddingFraction must be in [0, 1), got ${this.maxPaddingFraction}`);
    this.now = options.now ?? Date.now;
  }

  /** Queues a request; throws InvalidRequestError for one that could never run. */
  addRequest(input: RequestInput): void {
    if (this.requests.has(input.requestId)) throw new InvalidRequestError(`request ${input.requestId} is already in the engine`, 'requestId');
    for (const pair of input.pairs) {
      if (this.livePairIds.has(pair.pairId)) throw new InvalidRequestError(`pair id ${pair.pairId} is already in the engine`, 'pairs');
    }
    const request = new Request(input, {
      hashBlocks: (tokenIds) => this.kv.hashBlocks(tokenIds),
      arrivalOrder: this.numArrivals,
    });
    const prefixBlocks = this.kv.blocksFor(request.prefixLength);
    if (prefixBlocks > this.kv.numBlocks) {
      throw new InvalidRequestError(`the shared prefix needs ${prefixBlocks} KV blocks; the cache has ${this.kv.numBlocks}`, 'pairs');
    }
    this.numArrivals += 1;
    this.requests.set(request.requestId, request);
    for (const pairId of request.pairIds) this.livePairIds.add(pairId);
  }

  /** Ends a live request now and frees its blocks; false when it is not live. */
  abortRequest(requestId: string): boolean {
    const request = this.requests.get(requestId);
    if (request === undefined) return false;
    this.remove(request);
    return true;
  }

  hasUnfinishedRequests(): boolean {
    return this.requests.size > 0;
  }

  /** Drops expired requests and decides what the next step runs. */
  schedule(): SchedulerOutput {
    this.numSteps += 1;
    const expiredRequestIds = this.dropExpired();
    const candidates = [...this.requests.values()].filter((request) => request.hasPendingPairs).sort(earliestDeadlineFirst);
    const picks = this.pickPairs(candidates);
    return this.buildOutput(picks, expiredRequestIds);
  }

  /**
   * Records the step's logits and returns the requests it finished: every request whose last pair
   * was scored, and those dropped as expired when the step was scheduled. Throws
   * MissingLogitsError, changing nothing, when a live pair has no logits.
   */
  updateFromOutput(output: SchedulerOutput, logits: ReadonlyMap<string, readonly number[]>): FinishedRequest[] {
    const livePairs = scheduledPairs(output).filter((pair) => this.requests.has(pair.requestId));
    const missing = livePairs.find((pair) => !logits.has(pair.pairId));
    if (missing !== undefined) throw new MissingLogitsError(missing.pairId);
    return [...expiredOf(output), ...this.record(livePairs, logits)];
  }

  /**
   * Records the logits of one batch of a running step and returns the requests they finish, so
   * that those leave before the step ends. updateFromOutput still gets all of the step's logits.
   */
  updateFromBatch(output: SchedulerOutput, logits: ReadonlyMap<string, readonly number[]>): FinishedRequest[] {
    return this.record(scheduledPairs(output).filter((pair) => logits.has(pair.pairId) && this.requests.has(pair.requestId)), logits);
  }

  private record(pairs: readonly ScheduledPair[], logits: ReadonlyMap<string, readonly number[]>): FinishedRequest[] {
    const updated = new Set<Request>();
    for (const pair of pairs) {
      const request = this.requests.get(pair.requestId) as Request;
      request.pairLogits.set(pair.pairId, logits.get(pair.pairId) as readonly number[]);
      updated.add(request);
    }
    const finished: FinishedRequest[] = [];
    for (const request of updated) {
      if (!request.isComplete) continue;
      this.remove(request);
      finished.push({ requestId: request.requestId, status: 'scored', pairLogits: request.pairLogits });
    }
    return finished;
  }

  /**
   * Ends every request of a step that could not be run. The prefix KV the step was to compute
   * was never written, so those blocks leave the prefix cache before anyone can hit them.
   */
  failStep(output: SchedulerOutput, error: Error): FinishedRequest[] {
    for (const group of output.prefixGroups) {
      if (group.newPrefixTokenIds.length > 0) this.kv.uncacheBlocks(group.blockIds.slice(group.numCachedTokens / output.blockSize));
    }
    const finished = expiredOf(output);
    for (const requestId of new Set(scheduledPairs(output).map((pair) => pair.requestId))) {
      const request = this.requests.get(requestId);
      if (request === undefined) continue;
      this.remove(request);
      finished.push({ requestId, status: 'failed', error });
    }
    return finished;
  }

  /** A snapshot after `lastOutput` (null before the first step). */
  makeStats(lastOutput: SchedulerOutput | null): EngineStats {
    let numRunningRequests = 0;
    for (const request of this.requests.values()) if (request.status === 'running') numRunningRequests += 1;
    const prefixCache = this.kv.prefixCacheStats;
    return {
      numSteps: this.numSteps,
      numWaitingRequests: this.requests.size - numRunningRequests,
      numRunningRequests,
      kvCacheUsage: this.kv.usage,
      prefixCacheQueriedTokens: prefixCache.numQueriedTokens,
      prefixCacheHitTokens: prefixCache.numHitTokens,
      lastStep: {
        numPairs: lastOutput?.numScheduledPairs ?? 0,
        numTokens: lastOutput?.numScheduledTokens ?? 0,
        numPrefixTokens: lastOutput?.numPrefixTokens ?? 0,
        numPaddingTokens: lastOutput?.numPaddingTokens ?? 0,
        paddingFraction: lastOutput?.paddingFraction ?? 0,
        numBatches: lastOutput === null ? 0 : lastOutput.prefixGroups.length + lastOutput.unsharedBatches.length,
      },
    };
  }

  private dropExpired(): string[] {
    const now = this.now();
    const expired: string[] = [];
    for (const request of this.requests.values()) {
      if (request.deadline > now) continue;
      this.remove(request);
      expired.push(request.requestId);
    }
    return expired;
  }

  private remove(request: Request): void {
    this.kv.free(request);
    this.requests.delete(request.requestId);
    for (const pairId of request.pairIds) this.livePairIds.delete(pairId);
  }

  private pickPairs(candidates: readonly Request[]): Map<Request, StepPick> {
    const budget = new StepBudget(this.maxNumBatchedTokens, this.maxNumPairs);
    const picks = new Map<Request, StepPick>();
    // Once a request finds no room, later ones may not take blocks ahead of it.
    let admissionOpen = true;

    const fill = (request: Request, maxTokens: number, maxPairs: number): void => {
      let pick = picks.get(request);
      if (pick === undefined) {
        if (request.status === 'waiting') {
          if (!admissionOpen) return;
          const admission = this.admit(request, budget);
          if (admission === 'no-room') admissionOpen = false;
          if (typeof admission === 'string') return;
          pick = { numCachedPrefixTokens: admission.numCachedTokens, numTokens: admission.numNewTokens, pairs: [] };
        } else {
          pick = { numCachedPrefixTokens: request.prefixLength, numTokens: 0, pairs: [] };
        }
        picks.set(request, pick);
      }
      for (let pair = request.nextPair; pair !== undefined; pair = request.nextPair) {
        const cost = pair.tokenIds.length;
        // A request's first pair ignores the share, so every request moves whenever the budget allows.
        const withinShare = pick.pairs.length === 0 || (pick.numTokens + cost <= maxTokens && pick.pairs.length < maxPairs);
        if (!withinShare || !budget.fits(cost, 1)) return;
        budget.charge(cost, 1);
        pick.numTokens += cost;
        pick.pairs.push(request.takeNextPair());
      }
    };

    // Half the budget at most, so the huge requests still move every step.
    let smallTokens = Math.floor(this.maxNumBatchedTokens / 2);
    for (const request of [...candidates].sort(fewestRemainingTokensFirst)) {
      if (request.numRemainingTokens > smallTokens) break;
      smallTokens -= request.numRemainingTokens;
      fill(request, Infinity, Infinity);
    }
    const shareTokens = Math.floor(this.maxNumBatchedTokens / candidates.length);
    const sharePairs = Math.floor(this.maxNumPairs / candidates.length);
    for (const request of candidates) fill(request, shareTokens, sharePairs);
    for (const request of candidates) fill(request, Infinity, Infinity);
    return picks;
  }

  /**
   * Claims the request's prefix blocks (hits and new ones) if the step has budget for the new
   * prefix tokens and its first pair. The new blocks are cached right away, before their KV is
   * written, so a later group of this same step can reuse them: groups run in order.
   */
  private admit(request: Request, budget: StepBudget): { numCachedTokens: number; numNewTokens: number } | 'no-budget' | 'no-room' {
    const firstPair = request.nextPair as PendingPair;
    const computedBlocks = this.kv.getComputedBlocks(request);
    const numCachedTokens = computedBlocks.length * this.kv.blockSize;
    const numNewTokens = request.prefixLength - numCachedTokens;
    if (!budget.fits(numNewTokens + firstPair.tokenIds.length, 1)) return 'no-budget';
    if (request.prefixLength > 0) {
      if (this.kv.allocateSlots(request, numNewTokens, computedBlocks) === null) return 'no-room';
      this.kv.cacheFullBlocks(request, request.prefixLength);
    }
    budget.charge(numNewTokens, 0);
    request.status = 'running';
    return { numCachedTokens, numNewTokens };
  }

  /** Picks are in admission order, so a group that reuses blocks computed in this step comes after the group computing them. */
  private buildOutput(picks: Map<Request, StepPick>, expiredRequestIds: string[]): SchedulerOutput {
    const prefixGroups: PrefixGroup[] = [];
    const unsharedPairs: ScheduledPair[] = [];
    let numPrefixTokens = 0;
    for (const [request, pick] of picks) {
      if (pick.pairs.length === 0) continue;
      const { requestId, prefixLength } = request;
      const pairs = pick.pairs.map((pair) => ({ ...pair, requestId, startPosition: prefixLength }));
      if (prefixLength === 0) {
        unsharedPairs.push(...pairs);
        continue;
      }
      const blockIds = this.kv.getBlockIds(requestId);
      // Long and short pairs of one request become separate groups over the same blocks; only the first computes the prefix.
      let numCachedTokens = pick.numCachedPrefixTokens;
      for (const batch of splitByLength(pairs, this.maxPaddingFraction)) {
        prefixGroups.push({ requestId, blockIds, prefixLength, numCachedTokens, newPrefixTokenIds: request.prefixTokenIds.slice(numCachedTokens), pairs: batch });
        numPrefixTokens += prefixLength - numCachedTokens;
        numCachedTokens = prefixLength;
      }
    }
    unsharedPairs.sort((a, b) => a.tokenIds.length - b.tokenIds.length);
    const unsharedBatches = splitByLength(unsharedPairs, this.maxPaddingFraction);

    let numScheduledPairs = 0;
    let numPairTokens = 0;
    let numPaddingTokens = 0;
    let numPaddedTokens = 0;
    for (const batch of [...prefixGroups.map((group) => group.pairs), ...unsharedBatches]) {
      const padding = paddingOf(batch);
      numScheduledPairs += batch.length;
      numPairTokens += padding.numPaddedTokens - padding.numPaddingTokens;
      numPaddingTokens += padding.numPaddingTokens;
      numPaddedTokens += padding.numPaddedTokens;
    }
    return {
      stepId: this.numSteps,
      blockSize: this.kv.blockSize,
      prefixGroups,
      unsharedBatches,
      numScheduledPairs,
      numScheduledTokens: numPrefixTokens + numPairTokens,
      numPrefixTokens,
      numPaddingTokens,
      paddingFraction: numPaddedTokens === 0 ? 0 : numPaddingTokens / numPaddedTokens,
      expiredRequestIds,
    };
  }
}

function earliestDeadlineFirst(a: Request, b: Request): number {
  return a.deadline - b.deadline || a.arrivalOrder - b.arrivalOrder;
}

function fewestRemainingTokensFirst(a: Request, b: Request): number {
  return a.numRemainingTokens - b.numRemainingTokens || earliestDeadlineFirst(a, b);
}

function scheduledPairs(output: SchedulerOutput): ScheduledPair[] {
  return [...output.prefixGroups.flatMap((group) => group.pairs), ...output.unsharedBatches.flat()];
}

function expiredOf(output: SchedulerOutput): FinishedRequest[] {
  return output.expiredRequestIds.map((requestId) => ({ requestId, status: 'expired' }));
}
