/**
 * The collective a tensor-parallel shard runs between its segments. Every rank calls it the
 * same number of times in the same order (they all execute the same steps).
 */
export interface Collective {
  readonly size: number;
  readonly rank: number;
  /**
   * The element-wise sum of every rank's `partial` (same length on all ranks). The sum is taken
   * in rank order by `sumInRankOrder`, so every rank gets the same bits. May return `partial`
   * itself, overwritten.
   */
  allReduceSum(partial: Float32Array): Promise<Float32Array>;
}

/**
 * Elements [start, end) of Σ parts[r] into `out` at the same offsets, adding in rank order in
 * double precision and rounding once: the same inputs give the same bits on every rank.
 */
export function sumInRankOrder(parts: readonly Float32Array[], out: Float32Array, start = 0, end = out.length): Float32Array {
  const [first, ...rest] = parts;
  if (!first) throw new Error('a sum needs at least one part');
  if (rest.length === 1) {
    const second = rest[0] as Float32Array;
    for (let i = start; i < end; i++) out[i] = (first[i] as number) + (second[i] as number);
    return out;
  }
  for (let i = start; i < end; i++) {
    let sum = first[i] as number;
    for (const part of rest) sum += part[i] as number;
    out[i] = sum;
  }
  return out;
}

/**
 * The ranks of a group living in one process, joined in memory: tests and benchmarks use it to
 * run a tensor-parallel split without a network.
 */
export function inProcessCollectives(size: number): Collective[] {
  const rounds = new Map<number, { parts: (Float32Array | undefined)[]; arrived: number; waiters: ((sum: Float32Array) => void)[] }>();
  const calls = new Array<number>(size).fill(0);
  return Array.from({ length: size }, (_, rank): Collective => ({
    size,
    rank,
    allReduceSum(partial) {
      const sequence = calls[rank]!++;
      let round = rounds.get(sequence);
      if (!round) {
        round = { parts: new Array(size), arrived: 0, waiters: [] };
        rounds.set(sequence, round);
      }
      round.parts[rank] = partial;
      round.arrived++;
      const result = new Promise<Float32Array>((resolve) => round.waiters.push(resolve));
      if (round.arrived === size) {
        rounds.delete(sequence);
        const parts = round.parts as Float32Array[];
        const sum = sumInRankOrder(parts, new Float32Array(partial.length));
        // Each rank gets its own copy: shards add into it.
        for (const resolve of round.waiters) resolve(Float32Array.from(sum));
      }
      return result;
    },
  }));
}
