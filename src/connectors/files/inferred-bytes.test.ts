import { describe, expect, it } from 'vitest';
import { fitsInferredBytes } from './inferred-bytes.js';
import { fitsInferredText, INFERRED_TEXT_KINDS } from './type-inference.js';

/** Deterministic pseudo-random generator (tests must not flake). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

const SEEDS = [
  'true', 'false', 'True', '', '0', '-0', '00', '7', '-7', '+7', '0123', '9223372036854775807', '9223372036854775808', '-9223372036854775808',
  '-9223372036854775809', '99999999999999999999', '1.50', '-0.00', '-0.01', '0.', '.5', '1e5', '12.345678901234567890',
  '2024-02-29', '2023-02-29', '2000-02-29', '1900-02-29', '0000-01-01', '2024-13-01', '2024-04-31', '2024-1-01',
  '2024-01-02 03:04:05', '2024-01-02T23:59:59.999999', '2024-01-02 24:00:00', '2024-01-02 03:04:05.1234567', '2024-01-02 03:04:05.',
  '2024-01-02 03:04:05Z', '2024-01-02 03:04:05+00', '2024-01-02 03:04:05.5-05:30', '2024-01-02 03:04:05+0530', '2024-01-02 03:04:05+15:59',
  '2024-01-02 03:04:05+16', '2024-01-02 03:04:05+05:60', '2024-01-02 03:04:05+05:3', '2024-01-02 03:04:05+5', '٢٠٢٤-01-02', '1２',
];
const ALPHABET = ['0', '1', '5', '9', '-', '+', '.', ':', ' ', 'T', 'Z', 'z', 'e', '"', 'é', '٣', '😀'];

/** `text` inside other bytes, so a rule that reads past its end is caught. */
function framed(text: string, before: string, after: string): [Buffer, number, number] {
  const head = Buffer.from(before);
  const body = Buffer.from(text);
  return [Buffer.concat([head, body, Buffer.from(after)]), head.length, head.length + body.length];
}

describe('fitsInferredBytes', () => {
  it('agrees with fitsInferredText on edge values and random mutations of them', () => {
    const random = lcg(42);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const texts = new Set(SEEDS);
    for (let n = 0; n < 20_000; n++) {
      let text = pick(SEEDS);
      for (let k = Math.floor(random() * 3); k > 0; k--) {
        const at = Math.floor(random() * (text.length + 1));
        const r = random();
        if (r < 0.4) text = text.slice(0, at) + pick(ALPHABET) + text.slice(at + 1);
        else if (r < 0.7) text = text.slice(0, at) + text.slice(at + 1);
        else text = text.slice(0, at) + pick(ALPHABET) + text.slice(at);
      }
      texts.add(text);
    }
    for (const text of texts) {
      for (const kind of INFERRED_TEXT_KINDS) {
        for (const [before, after] of [['', ''], ['-', '5'], ['9', '0:00']]) {
          const [buf, start, end] = framed(text, before as string, after as string);
          expect(fitsInferredBytes(kind, buf, start, end), `${kind} ${JSON.stringify(text)}`).toBe(fitsInferredText(kind, text));
        }
      }
    }
  });
});
