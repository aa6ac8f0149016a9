/**
 * Deterministic pseudo-random numbers in [0, 1) from a seed (a linear
 * congruential generator), so a failing kill test can be replayed exactly.
 */
export function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}
