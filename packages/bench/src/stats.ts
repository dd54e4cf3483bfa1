/**
 * The p-th percentile (0 < p ≤ 100) of `values` by the nearest-rank method: the smallest value
 * that at least p% of the values are less than or equal to. Exact, and always one of the
 * recorded values; NaN for an empty sample.
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1] as number;
}

export interface LatencySummary {
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

/** p50, p90 and p99 of a latency sample; null where there is no sample. */
export function summarizeLatencies(values: readonly number[]): LatencySummary {
  const at = (p: number) => (values.length ? round(percentile(values, p), 3) : null);
  return { p50: at(50), p90: at(90), p99: at(99) };
}

/** Rounds to `digits` decimals: benchmark lines print what the measurement can carry. */
export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
