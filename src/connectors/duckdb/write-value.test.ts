import { describe, expect, it } from 'vitest';
import { prng } from '../../../test/support/prng.js';
import { MICROS_PER_DAY, parseDate, parseTime, parseTimestamp } from '../../core/civil-time.js';
import { decimalOf, decimalPaths } from './write-value.js';

const { smallDecimal, anyDecimal } = decimalPaths;


/** The scaled value a decimal lands as, or the message it is refused with. */
function landed(run: () => { value: bigint }): string {
  try {
    return `= ${run().value}`;
  } catch (error) {
    return `! ${(error as Error).message}`;
  }
}

describe('DuckDB value writing fast paths', () => {
  it('scales a decimal of up to 15 digits exactly as the long path does, or leaves it to it', () => {
    const next = prng(99);
    const texts = ['0', '-0', '0.00', '-0.50', '1', '90.99', '999999999999999', '9999999999999999', '0.000000000000001', '1.', '.5', '-', '', '1.2.3', '1e5', '+1', '00012.30', '12345678901234.5', '-123.456'];
    for (let i = 0; i < 100_000; i++) {
      const int = String(Math.floor(next() * 10 ** Math.floor(next() * 17)));
      const fraction = String(Math.floor(next() * 10 ** Math.floor(next() * 8))).padStart(Math.floor(next() * 8), '0');
      texts.push(`${next() < 0.3 ? '-' : ''}${int}${fraction === '' ? '' : `.${fraction}`}`);
    }
    let fast = 0;
    for (const text of texts) {
      for (const [width, scale] of [[10, 2], [18, 4], [15, 0], [38, 10], [4, 4], [12, 6]] as const) {
        const small = smallDecimal(text, width, scale);
        const long = landed(() => anyDecimal(text, width, scale));
        if (small === undefined) continue;
        fast++;
        expect(`= ${small}`, `${text} as DECIMAL(${width},${scale})`).toBe(long);
        expect(decimalOf(text, width, scale).value).toBe(small);
      }
    }
    expect(fast).toBeGreaterThan(texts.length);
  });

  it('reads a canonical timestamp into microseconds as its date and time parts add up', () => {
    const next = prng(3);
    for (let i = 0; i < 50_000; i++) {
      const year = String(1 + Math.floor(next() * 9999)).padStart(4, '0');
      const date = `${year}-${String(1 + Math.floor(next() * 12)).padStart(2, '0')}-${String(1 + Math.floor(next() * 28)).padStart(2, '0')}`;
      const digits = Math.floor(next() * 7);
      const time = `${String(Math.floor(next() * 24)).padStart(2, '0')}:${String(Math.floor(next() * 60)).padStart(2, '0')}:${String(Math.floor(next() * 60)).padStart(2, '0')}${digits > 0 ? `.${String(Math.floor(next() * 10 ** digits)).padStart(digits, '0')}` : ''}`;
      const want = BigInt(parseDate(date)) * MICROS_PER_DAY + parseTime(time);
      expect(parseTimestamp(`${date}T${time}`, false), `${date}T${time}`).toBe(want);
      expect(parseTimestamp(`${date}T${time}Z`, true), `${date}T${time}Z`).toBe(want);
    }
    // A ':' where a time digit belongs is not read as 10 (it once was: 0: read as hour 10).
    expect(() => parseTimestamp('2024-01-01T0::00:00', false)).toThrow('not a canonical timestamp');
    expect(() => parseTimestamp('2024-01-01T00:0::00Z', true)).toThrow('not a canonical timestamptz');
    // The same date twice in a row (the remembered one), then others, then back.
    for (const text of ['2024-02-29T00:00:00', '2024-02-29T23:59:59.999999', '1970-01-01T00:00:00', '2024-02-29T12:00:00']) {
      expect(parseTimestamp(text, false)).toBe(BigInt(parseDate(text.slice(0, 10))) * MICROS_PER_DAY + parseTime(text.slice(11)));
    }
  });
});
