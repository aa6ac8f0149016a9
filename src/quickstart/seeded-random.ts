/**
 * A small seeded pseudo-random generator (mulberry32) so the sample shop is the
 * same on every machine for the same seed. `Math.random` is never used: the
 * quickstart's row counts and checks would otherwise change between runs.
 */

/** One weighted choice: the value and its relative weight. */
export type Weighted<T> = readonly [value: T, weight: number];

/** 32-bit FNV-1a of a label, used to derive independent streams from one seed. */
function hashLabel(label: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    hash ^= label.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Deterministic random numbers. Each table draws from its own `fork`, so
 * changing how one table is generated leaves the others byte-identical.
 *
 * @example
 * const random = new SeededRandom(42).fork('orders');
 * random.int(1, 6); // same value for seed 42, always
 */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** An independent generator for a named purpose, derived from this one's seed state. */
  fork(label: string): SeededRandom {
    return new SeededRandom((this.#state ^ hashLabel(label)) >>> 0);
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(values: readonly T[]): T {
    const value = values[Math.floor(this.next() * values.length)];
    if (value === undefined) throw new RangeError('pick() needs a non-empty list');
    return value;
  }

  /** A value chosen with probability proportional to its weight. */
  weighted<T>(choices: readonly Weighted<T>[]): T {
    let total = 0;
    for (const [, weight] of choices) total += weight;
    let point = this.next() * total;
    for (const [value, weight] of choices) {
      point -= weight;
      if (point < 0) return value;
    }
    const last = choices[choices.length - 1];
    if (last === undefined) throw new RangeError('weighted() needs a non-empty list');
    return last[0];
  }
}
