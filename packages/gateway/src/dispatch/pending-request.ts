import { RerankdError, type PairScore, type WorkItem, type WorkResult } from '@rerankd/protocol';
import { errorFromWorkFailure } from './work-failure';

/**
 * One request waiting for the results of its items. Delivery is at-least-once, so a result for
 * an item already received, or arriving after the request settled, is ignored.
 */
export class PendingRequest {
  readonly settled: Promise<PairScore[]>;
  private resolve!: (scores: PairScore[]) => void;
  private reject!: (error: unknown) => void;
  /** Pair indices of each item still awaited. */
  private readonly awaited: Map<string, Set<number>>;
  private readonly scores: PairScore[] = [];
  private done = false;

  constructor(items: WorkItem[]) {
    this.awaited = new Map(items.map((item) => [item.itemId, new Set(item.pairs.map((pair) => pair.index))]));
    this.settled = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  accept(result: WorkResult): void {
    const indices = this.awaited.get(result.itemId);
    if (this.done || !indices) return;
    this.awaited.delete(result.itemId);
    if (!result.ok) {
      this.fail(errorFromWorkFailure(result.error));
      return;
    }
    if (!coversExactly(result.scores, indices)) {
      this.fail(new RerankdError('internal', `Worker ${result.workerId} answered item ${result.itemId} with the wrong pairs.`));
      return;
    }
    this.scores.push(...result.scores);
    if (this.awaited.size === 0) {
      this.done = true;
      this.resolve(this.scores.sort((a, b) => a.index - b.index));
    }
  }

  fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.reject(error);
  }
}

function coversExactly(scores: PairScore[], indices: Set<number>): boolean {
  const answered = new Set(scores.map((score) => score.index));
  return scores.length === indices.size && answered.size === indices.size && [...indices].every((i) => answered.has(i));
}
