/** The seeded random stream every part of a sample draws from, and the few ways the generator draws from it. */
import { createHash } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  int(minIncl: number, maxIncl: number): number;
  pick<T>(xs: readonly T[]): T;
  hex(nChars: number): string;
}

const HEX_DIGITS = '0123456789abcdef';

/** xoroshiro128+ seeded from sha256(seed), so any string is a seed and nearby strings give unrelated streams. */
export function createRng(seed: string): Rng {
  const digest = createHash('sha256').update(seed, 'utf8').digest();
  // One bit forced on: an all-zero state would make xoroshiro emit zeros forever.
  const generator = xoroshiro128plusFromState([
    digest.readInt32BE(0),
    digest.readInt32BE(4),
    digest.readInt32BE(8),
    digest.readInt32BE(12) | 1,
  ]);
  return {
    next: () => uniformFloat64(generator),
    int: (minIncl, maxIncl) => uniformInt(generator, minIncl, maxIncl),
    pick<T>(xs: readonly T[]): T {
      if (xs.length === 0) throw new RangeError('pick() needs a non-empty list');
      return xs[uniformInt(generator, 0, xs.length - 1)] as T;
    },
    hex(nChars) {
      let s = '';
      for (let i = 0; i < nChars; i++) s += HEX_DIGITS[uniformInt(generator, 0, 15)] ?? '0';
      return s;
    },
  };
}

export function chance(rng: Rng, p: number): boolean {
  return rng.next() < p;
}

export function between(rng: Rng, min: number, max: number): number {
  return min + rng.next() * (max - min);
}

export function weighted<K extends string>(rng: Rng, table: Readonly<Partial<Record<K, number>>>): K {
  const entries = Object.entries(table) as [K, number][];
  let x = rng.next() * entries.reduce((s, [, w]) => s + w, 0);
  for (const [k, w] of entries) {
    x -= w;
    if (x < 0) return k;
  }
  const last = entries[entries.length - 1];
  if (!last) throw new RangeError('weighted() needs a non-empty table');
  return last[0];
}
