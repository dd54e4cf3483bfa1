import { createHash } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/**
 * A deterministic stream of random numbers named by a seed and a key: the same (seed, key)
 * gives the same numbers on every run and machine, and streams of different keys are
 * independent, so what one client draws never shifts what another draws.
 */
export class SeededStream {
  private readonly rng;

  constructor(seed: number, key: string) {
    const digest = createHash('sha256').update(`${seed}\0${key}`).digest();
    this.rng = xoroshiro128plus(digest.readInt32LE(0));
  }

  /** An integer in [from, to], both included. */
  int(from: number, to: number): number {
    return uniformInt(this.rng, from, to);
  }

  /** A float in [0, 1). */
  float(): number {
    return uniformFloat64(this.rng);
  }

  /**
   * An integer in [from, to] drawn log-uniformly: as many values between 32 and 64 as between
   * 1024 and 2048, the long tail of real document and request sizes.
   */
  logInt(from: number, to: number): number {
    if (from >= to) return from;
    const value = Math.exp(Math.log(from) + this.float() * (Math.log(to + 1) - Math.log(from)));
    return Math.min(to, Math.max(from, Math.floor(value)));
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new RangeError('cannot pick from an empty list');
    return item;
  }
}
