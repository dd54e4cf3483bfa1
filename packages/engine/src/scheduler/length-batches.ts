/**
 * Cuts pairs sorted by length (shortest first) into runs where padding to the run's longest pair
 * stays within `maxPaddingFraction` of the run's padded size.
 */
export function splitByLength<T extends { tokenIds: readonly number[] }>(sortedPairs: readonly T[], maxPaddingFraction: number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let numTokens = 0;
  for (const pair of sortedPairs) {
    const length = pair.tokenIds.length;
    const padded = (current.length + 1) * length;
    if (current.length > 0 && padded - (numTokens + length) > maxPaddingFraction * padded) {
      batches.push(current);
      current = [];
      numTokens = 0;
    }
    current.push(pair);
    numTokens += length;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Tokens added to bring every pair of the batch to its longest pair's length. */
export function paddingOf(batch: readonly { tokenIds: readonly number[] }[]): { numPaddingTokens: number; numPaddedTokens: number } {
  let longest = 0;
  let numTokens = 0;
  for (const pair of batch) {
    longest = Math.max(longest, pair.tokenIds.length);
    numTokens += pair.tokenIds.length;
  }
  const numPaddedTokens = longest * batch.length;
  return { numPaddingTokens: numPaddedTokens - numTokens, numPaddedTokens };
}
