import { describe, expect, it } from 'vitest';
import { prng } from '../../../test/support/prng.js';
import { readPaths, valueReaderFor } from './read-value.js';

const { shortRealAtScale, anyRealAtScale, usualTimestampText, anyTimestampText } = readPaths;

/** What a function returns, or the message it throws. */
function outcome(run: () => string): string {
  try {
    return `= ${run()}`;
  } catch (error) {
    return `! ${(error as Error).message}`;
  }
}


describe('SQLite value reading fast paths', () => {
  it('reads a REAL as decimal(p,s) exactly as the long path does, or leaves it to it', () => {
    const next = prng(20261202);
    const values: number[] = [0, -0, 1, -1, 0.1, 0.5, 90.99, -90.99, 1e15, 1e16, 123456789012345, 1234567890123456, 0.1 + 0.2, 1 / 3, 2 / 3, 1e-7, 1e21, 5e-324, Number.MAX_VALUE, 0.000001, 99999.995, 1.005];
    for (let i = 0; i < 50_000; i++) {
      const digits = Math.floor(next() * 17);
      const scale = Math.floor(next() * 6);
      const magnitude = 10 ** Math.floor(next() * 12 - 4);
      const sign = next() < 0.2 ? -1 : 1;
      // Decimals of a few places as SQLite stores them (REAL), and arbitrary doubles.
      values.push(sign * Number((next() * magnitude).toFixed(scale)), sign * next() * 10 ** digits);
    }
    let fast = 0;
    for (const value of values) {
      for (const scale of [undefined, 0, 2, 4, 10]) {
        const short = shortRealAtScale(value, scale);
        const long = outcome(() => anyRealAtScale(value, scale));
        if (short !== undefined) {
          fast++;
          expect(`= ${short}`, `${value} at scale ${scale}`).toBe(long);
        }
      }
    }
    // Most values take the fast path; the rest were compared by not taking it.
    expect(fast).toBeGreaterThan(values.length);
    const reader = valueReaderFor({ kind: 'decimal', precision: 10, scale: 2 });
    expect([90.99, -0.5, 3, 0.1 + 0.2].map((v) => outcome(() => String(reader(v))))).toEqual(['= 90.99', '= -0.50', '= 3.00', '! the REAL 0.30000000000000004 is not a decimal of 15 significant digits']);
  });

  it('makes a stored timestamp canonical exactly as the long path does, or leaves it to it', () => {
    const next = prng(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const texts = ['2024-12-24 02:58:42.806695', '2024-12-24T02:58:42', '2024-12-24 02:58:42.000000', '2024-12-24 02:58:42.100', '2024-12-24 02:58', '2024-12-24', '0044-03-15 12:00:00 BC', '2024-12-24 02:58:42Z', '2024-12-24 02:58:42+05:30', '2024-12-24 02:58:42.1234567', '12024-12-24 02:58:42', '2024-12-24 02:58:42.', '2024-12-24x02:58:42', 'infinity', ''];
    const chars = '0123456789 -:.TZ+x';
    for (let i = 0; i < 100_000; i++) {
      // Well-formed texts with random fields and fractions, and the same with one character changed.
      const fraction = pick(['', '.', '.0', '.5', '.50', '.000000', '.123456', '.1234560', '.9999999']);
      const text = `${String(Math.floor(next() * 10000)).padStart(4, '0')}-${String(Math.floor(next() * 13)).padStart(2, '0')}-${String(Math.floor(next() * 32)).padStart(2, '0')}${pick([' ', 'T'])}${String(Math.floor(next() * 25)).padStart(2, '0')}:${String(Math.floor(next() * 60)).padStart(2, '0')}:${String(Math.floor(next() * 60)).padStart(2, '0')}${fraction}`;
      texts.push(text);
      const at = Math.floor(next() * text.length);
      texts.push(`${text.slice(0, at)}${pick([...chars])}${text.slice(at + 1)}`);
    }
    let fast = 0;
    for (const text of texts) {
      const usual = usualTimestampText(text);
      if (usual === undefined) continue;
      fast++;
      expect(`= ${usual}`, text).toBe(outcome(() => anyTimestampText(text)));
    }
    expect(fast).toBeGreaterThan(texts.length / 3);
    const reader = valueReaderFor({ kind: 'timestamp' });
    expect(['2024-12-24 02:58:42.806690', '2024-12-24 02:58:42.000', '2024-12-24T02:58:42'].map((t) => reader(t))).toEqual(['2024-12-24T02:58:42.80669', '2024-12-24T02:58:42', '2024-12-24T02:58:42']);
  });
});
