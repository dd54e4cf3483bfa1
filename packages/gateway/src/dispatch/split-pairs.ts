import type { WorkPair } from '@rerankd/protocol';

/** Consecutive slices of at most `maxPairsPerItem` pairs, in order. */
export function splitPairs(pairs: WorkPair[], maxPairsPerItem: number): WorkPair[][] {
  const slices: WorkPair[][] = [];
  for (let start = 0; start < pairs.length; start += maxPairsPerItem) {
    slices.push(pairs.slice(start, start + maxPairsPerItem));
  }
  return slices;
}
