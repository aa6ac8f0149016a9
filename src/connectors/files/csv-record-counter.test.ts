import { describe, expect, it } from 'vitest';
import { CsvRecordCounter } from './csv-record-counter.js';

/** The rule spelled out: line feeds outside quotes, a quote toggling (so `""` toggles twice). */
function reference(bytes: Uint8Array): { rows: number; partial: boolean } {
  let rows = 0;
  let inQuotes = false;
  for (const b of bytes) {
    if (b === 0x22) inQuotes = !inQuotes;
    else if (b === 0x0a && !inQuotes) rows++;
  }
  return { rows, partial: inQuotes || (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) };
}

/** A seeded generator, so a failure repeats. */
function random(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/** CSV-like bytes: plain fields, quoted fields with commas, `""`, line feeds and CRs, multi-byte UTF-8, runs with no special byte longer than a word. */
function csvBytes(next: () => number, records: number): Buffer {
  const fields = ['plain', '', '"a,b"', '"say ""hi"""', '"line\nbreak"', '"cr\r\nlf"', 'é😀', '"""', 'x'.repeat(37), '"{""k"": 1}"'];
  const lines: string[] = [];
  for (let r = 0; r < records; r++) {
    const n = 1 + Math.floor(next() * 6);
    lines.push(Array.from({ length: n }, () => fields[Math.floor(next() * fields.length)]).join(','));
  }
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

/** Pieces at random cut points, each copied to a random offset of its own buffer (so views start off word boundaries). */
function cut(bytes: Buffer, next: () => number): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = Math.min(bytes.length - at, Math.floor(next() * 97));
    const offset = Math.floor(next() * 8);
    const holder = new Uint8Array(offset + size + 3);
    holder.set(bytes.subarray(at, at + size), offset);
    pieces.push(holder.subarray(offset, offset + size));
    at += size;
  }
  return pieces;
}

describe('CsvRecordCounter', () => {
  it('counts the records the byte-by-byte rule counts, however the bytes are cut', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const next = random(seed);
      const bytes = csvBytes(next, 1 + Math.floor(next() * 300));
      // Whole, then cut; cut at the end inside a record too.
      const end = seed % 3 === 0 ? bytes.length - Math.floor(next() * 20) : bytes.length;
      const input = bytes.subarray(0, end);
      const want = reference(input);
      for (const pieces of [[input], cut(input, next)]) {
        const counter = new CsvRecordCounter();
        let rows = 0;
        for (const piece of pieces) rows += counter.count(piece);
        expect({ rows, partial: counter.partial }).toEqual(want);
      }
    }
  });

  it('counts a long run of plain words and the records around it', () => {
    const text = `a,"b\nc"\n${'word,'.repeat(10_000)}x\n"q""\n"\n`;
    const counter = new CsvRecordCounter();
    expect(counter.count(Buffer.from(text))).toBe(3);
    expect(counter.partial).toBe(false);
    expect(counter.count(Buffer.from('"open\n'))).toBe(0);
    expect(counter.partial).toBe(true);
  });

  it('takes empty chunks without changing its state', () => {
    const counter = new CsvRecordCounter();
    expect(counter.count(new Uint8Array(0))).toBe(0);
    expect(counter.partial).toBe(false);
    expect(counter.count(Buffer.from('a,b'))).toBe(0);
    expect(counter.count(new Uint8Array(0))).toBe(0);
    expect(counter.partial).toBe(true);
  });
});
