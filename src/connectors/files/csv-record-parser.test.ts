import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../core/errors.js';
import { type CsvDialect, CsvRecordParser, type TextRecord } from './csv-record-parser.js';

const RFC: CsvDialect = { delimiter: ',', quote: '"', escape: '"', nullValues: [''], skipLines: 0, bom: true };

/** Parse `text` fed in pieces of `step` characters (every chunk boundary is a place to get wrong). */
function records(text: string, step = text.length || 1, dialect: CsvDialect = RFC): TextRecord[] {
  const parser = new CsvRecordParser(dialect, 'test.csv');
  const out: TextRecord[] = [];
  for (let i = 0; i < text.length; i += step) out.push(...parser.push(text.slice(i, i + step)));
  out.push(...parser.end());
  return out;
}

function cells(text: string, step?: number, dialect?: CsvDialect): (string | null)[][] {
  return records(text, step, dialect).map((r) => [...r.cells]);
}

function failure(text: string, dialect: CsvDialect = RFC): DataError {
  try {
    records(text, undefined, dialect);
  } catch (error) {
    return error as DataError;
  }
  throw new Error('expected a failure');
}

/** Deterministic pseudo-random generator (tests must not flake). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('CsvRecordParser', () => {
  it('splits plain and quoted records, with NULL only for unquoted empty fields', () => {
    expect(cells('a,b,c\n1,,"x, ""y"""\n2,"",\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', null, 'x, "y"'],
      ['2', '', null],
    ]);
  });

  it('keeps line breaks inside quotes and numbers records by the line they start on', () => {
    const parsed = records('h1,h2\n"two\nlines",x\nlast,y');
    expect(parsed.map((r) => [...r.cells])).toEqual([['h1', 'h2'], ['two\nlines', 'x'], ['last', 'y']]);
    expect(parsed.map((r) => r.line)).toEqual([1, 2, 4]);
  });

  it('discovers \\r\\n and \\r record delimiters, skips lines and a BOM', () => {
    expect(cells('\uFEFFa,b\r\n1,2\r\n')).toEqual([['a', 'b'], ['1', '2']]);
    expect(cells('a,b\r1,2\r')).toEqual([['a', 'b'], ['1', '2']]);
    expect(records('# note\r\nx;y\r\n1;"2;3"\r\n', 3, { ...RFC, delimiter: ';', skipLines: 1 }).map((r) => [r.line, ...r.cells])).toEqual([
      [2, 'x', 'y'],
      [3, '1', '2;3'],
    ]);
  });

  it('honours a distinct escape character, multi-character delimiters and more null texts', () => {
    const dialect: CsvDialect = { ...RFC, escape: '\\', delimiter: '||', nullValues: ['', 'NULL'] };
    expect(cells('a||b\n"say \\"hi\\" \\\\ ok"||NULL\n"NULL"||\n', 2, dialect)).toEqual([
      ['a', 'b'],
      ['say "hi" \\ ok', null],
      ['NULL', null],
    ]);
  });

  it('names the line of an unclosed quote, a stray quote and a ragged record', () => {
    expect(failure('a,b\n1,2\n3,"x\n4,5\n').message).toBe('test.csv: line 3: a quoted field is never closed');
    expect(failure('a,b\n1,"x"y\n').message).toContain('test.csv: line 2: malformed CSV: a closing quote is followed by "y"');
    expect(failure('a,b\n1,x"y\n').message).toContain('test.csv: line 2: malformed CSV: a quote inside the unquoted field');
    const ragged = failure('a,b\n1,2\n3,4,5\n');
    expect(ragged).toBeInstanceOf(DataError);
    expect(ragged.message).toBe('test.csv: line 3: 3 fields, expected 2 (as in the first record)');
    expect(ragged.context.line).toBe(3);
  });

  it('agrees with csv-parse on random well-formed input, fed in random chunk sizes', () => {
    const random = lcg(42);
    const alphabet = ['a', 'b', ' ', ',', '"', '\n', '\r\n', 'é', '😀', ''];
    const field = (): string => {
      let text = '';
      for (let n = Math.floor(random() * 5); n > 0; n--) text += alphabet[Math.floor(random() * alphabet.length)];
      const quoted = /[",\r\n]/.test(text) || random() < 0.2;
      return quoted ? `"${text.replace(/"/g, '""')}"` : text;
    };
    for (let round = 0; round < 300; round++) {
      const width = 1 + Math.floor(random() * 4);
      const rows = Array.from({ length: 1 + Math.floor(random() * 6) }, () => Array.from({ length: width }, field).join(','));
      const eol = random() < 0.5 ? '\n' : '\r\n';
      const text = rows.join(eol) + (random() < 0.5 ? eol : '');
      // csv-parse has no NULL: compare texts, with NULL as the empty text.
      const expected = parse(text, { relax_column_count: false, bom: true }) as string[][];
      const got = cells(text, 1 + Math.floor(random() * 7)).map((row) => row.map((c) => c ?? ''));
      expect(got, JSON.stringify(text)).toEqual(expected);
    }
  });
});
