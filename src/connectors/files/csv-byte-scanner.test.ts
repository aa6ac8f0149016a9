import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../core/errors.js';
import { CsvByteScanner } from './csv-byte-scanner.js';
import { CsvRecordParser } from './csv-record-parser.js';

const SPECTRUM = join(import.meta.dirname, '../../../../shared/fixtures/csv-spectrum/csvs');

interface Outcome {
  readonly records: { readonly cells: readonly (string | null)[]; readonly line: number; readonly text: string }[];
  readonly error?: string;
  readonly errorLine?: number;
}

interface Options {
  readonly skipLines?: number;
  readonly bom?: boolean;
}

/** `bytes` cut at `cuts` (byte offsets, ascending). */
function pieces(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > from) out.push(bytes.subarray(from, cut));
    from = Math.max(from, cut);
  }
  return out;
}

function failed(records: Outcome['records'], error: unknown): Outcome {
  if (!(error instanceof DataError)) throw error;
  return { records, error: error.message, errorLine: error.context.line };
}

/** What the byte scanner reads from `bytes` fed in `chunks`. */
function scanned(chunks: readonly Buffer[], options: Options = {}): Outcome {
  const scanner = new CsvByteScanner({ skipLines: options.skipLines ?? 0, bom: options.bom ?? true }, 'test.csv');
  const records: Outcome['records'] = [];
  const sink = (buf: Buffer, r: Parameters<Parameters<CsvByteScanner['push']>[1]>[1]) => {
    records.push({ cells: r.cells(buf), line: r.line, text: buf.toString('utf8', r.start, r.end) });
  };
  try {
    for (const chunk of chunks) scanner.push(chunk, sink);
    scanner.end(sink);
  } catch (error) {
    return failed(records, error);
  }
  return { records };
}

/** What CsvRecordParser (the decoded path) reads from the same chunks, decoded as the file source decodes them. */
function parsed(chunks: readonly Buffer[], options: Options = {}): Outcome {
  const parser = new CsvRecordParser({ delimiter: ',', quote: '"', escape: '"', nullValues: [''], skipLines: options.skipLines ?? 0, bom: options.bom ?? true }, 'test.csv');
  const decoder = new StringDecoder('utf8');
  const records: Outcome['records'] = [];
  const take = (found: ReturnType<CsvRecordParser['push']>) => {
    for (const r of found) records.push({ cells: [...r.cells], line: r.line, text: parser.text.slice(r.start, r.end) });
  };
  try {
    for (const chunk of chunks) take(parser.push(decoder.write(chunk)));
    take(parser.push(decoder.end()));
    take(parser.end());
  } catch (error) {
    return failed(records, error);
  }
  return { records };
}

/** Both readers agree: same records, lines and record texts, and the same error (the string parser may drop the records of the failing push). */
function expectSame(bytes: Buffer, cuts: readonly number[], options: Options = {}): Outcome {
  const chunks = pieces(bytes, cuts);
  const byBytes = scanned(chunks, options);
  const byText = parsed(chunks, options);
  expect(byBytes.error, JSON.stringify(bytes.toString('utf8'))).toBe(byText.error);
  expect(byBytes.errorLine).toBe(byText.errorLine);
  if (byText.error === undefined) expect(byBytes.records).toEqual(byText.records);
  else expect(byBytes.records.slice(0, byText.records.length)).toEqual(byText.records);
  return byBytes;
}

/** Deterministic pseudo-random generator (tests must not flake). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

function every(bytes: Buffer): number[][] {
  const cutsets: number[][] = [[]];
  for (let i = 1; i < bytes.length; i++) cutsets.push([i]);
  cutsets.push(Array.from({ length: bytes.length }, (_, i) => i));
  return cutsets;
}

describe('CsvByteScanner', () => {
  it('reads plain and quoted records, NULL only for the empty unquoted field', () => {
    const out = expectSame(Buffer.from('a,b,c\n1,"",\n"x,y","say ""hi""","two\nlines"\n'), []);
    expect(out.records.map((r) => r.cells)).toEqual([
      ['a', 'b', 'c'],
      ['1', '', null],
      ['x,y', 'say "hi"', 'two\nlines'],
    ]);
    expect(out.records.map((r) => r.line)).toEqual([1, 2, 3]);
  });

  it('gives every chunking the same records: quotes, doubled quotes, CRLF, BOM, multi-byte characters cut anywhere', () => {
    const inputs = [
      '\uFEFFid,name\n1,"a ""q"" b"\n2,ünïcödé 😀\n3,"multi\nline"\n',
      'id,name\r\n1,"x\r\ny"\r\n2,""\r\n3,\r\n',
      'a,b\r1,2\r"3\r",4\r',
      'a,b\n1,2',
      'a,b\n1,"2"',
      'a,b\n1,2\r\n3,4\n',
      '😀,"😀"\n"€",€\n',
      '"",""\n,\n',
    ];
    for (const input of inputs) {
      const bytes = Buffer.from(input);
      for (const cuts of every(bytes)) expectSame(bytes, cuts);
    }
  });

  it('strips the byte order mark only when asked, and skips lines of any ending', () => {
    const bytes = Buffer.from('\uFEFFskip me\r\nand me\rid,x\n1,2\n');
    for (const cuts of every(bytes)) {
      const out = expectSame(bytes, cuts, { skipLines: 2 });
      expect(out.records.map((r) => r.line)).toEqual([3, 4]);
    }
    const kept = expectSame(Buffer.from('\uFEFFa,b\n1,2\n'), [1], { bom: false });
    expect(kept.records[0]?.cells[0]).toBe('\uFEFFa');
  });

  it('counts line breaks inside quotes in the lines of later records and errors', () => {
    const out = expectSame(Buffer.from('a,b\n"1\n2\n3",x\n4,y\n'), [7]);
    expect(out.records.map((r) => r.line)).toEqual([1, 2, 5]);
    const error = expectSame(Buffer.from('a,b\n"1\n2",x\n4,y,z\n'), [5]);
    expect(error.error).toBe('test.csv: line 4: 3 fields, expected 2 (as in the first record)');
  });

  it('rejects what the string parser rejects, with its words and line', () => {
    const bad: [string, RegExp][] = [
      ['a,b\n1,"open\n', /line 2: a quoted field is never closed/],
      ['a,b\n1,"x"y\n', /line 2: malformed CSV: a closing quote is followed by "y"/],
      ['a,b\n1,"x"😀\n', /line 2: malformed CSV: a closing quote is followed by "\\ud83d"/],
      ['a,b\n1,x"y\n', /line 2: malformed CSV: a quote inside the unquoted field "x\\"y"/],
      ['a,b\n"1\n",x"y\n', /line 3: malformed CSV: a quote inside the unquoted field/],
      ['a,b\n1,2,3\n', /line 2: 3 fields, expected 2/],
      ['a,b\n\n', /line 2: 1 fields, expected 2/],
      ['a,b\r\n1,"x"\r', /line 2: malformed CSV: a closing quote is followed by "\\r"/],
    ];
    for (const [input, message] of bad) {
      const bytes = Buffer.from(input);
      for (const cuts of every(bytes)) expect(expectSame(bytes, cuts).error).toMatch(message);
    }
  });

  it('keeps invalid UTF-8 bytes in place, as U+FFFD once decoded', () => {
    const bytes = Buffer.concat([Buffer.from('a,b\n1,"x'), Buffer.from([0xe2, 0x82]), Buffer.from('"\n2,'), Buffer.from([0xff]), Buffer.from('\n')]);
    for (const cuts of every(bytes)) {
      const out = expectSame(bytes, cuts);
      expect(out.records.map((r) => r.cells)).toEqual([['a', 'b'], ['1', 'x\uFFFD'], ['2', '\uFFFD']]);
    }
  });

  it('reads records longer than a chunk, in chunks of every size', () => {
    const long = `"${'x'.repeat(10_000)}""${'é'.repeat(3000)}\n"`;
    const bytes = Buffer.from(`a,b\n${long},1\n2,${'y'.repeat(9000)}\n3,4\n`);
    for (const size of [1, 7, 100, 4095, 4096, 5000, 20_000]) {
      const cuts = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => i * size);
      const out = expectSame(bytes, cuts);
      expect(out.records.map((r) => r.line)).toEqual([1, 2, 4, 5]);
      expect(out.records[1]?.cells[0]).toBe(`${'x'.repeat(10_000)}"${'é'.repeat(3000)}\n`);
    }
  });

  it('agrees with the string parser on random files cut at random bytes', () => {
    const random = lcg(20261201);
    const atoms = ['a', 'bc', '1', '-2.5', 'é', '😀', ' ', ',', '"', '""', '\n', '\r', '\r\n', '\uFEFF'];
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const field = (): string => {
      const text = Array.from({ length: Math.floor(random() * 4) }, () => pick(atoms.slice(0, 7))).join('');
      const r = random();
      if (r < 0.2) return '';
      if (r < 0.5) return `"${Array.from({ length: Math.floor(random() * 4) }, () => pick(atoms)).join('').replaceAll('"', '""')}"`;
      return text;
    };
    for (let n = 0; n < 400; n++) {
      const width = 1 + Math.floor(random() * 3);
      const rd = pick(['\n', '\r\n', '\r']);
      let text = random() < 0.2 ? '\uFEFF' : '';
      const rows = Math.floor(random() * 6);
      for (let r = 0; r < rows; r++) text += Array.from({ length: width }, field).join(',') + (r < rows - 1 || random() < 0.7 ? rd : '');
      // Now and then a stray atom anywhere: a bad quote, a ragged record, a break in the wrong place.
      if (random() < 0.3 && text.length > 0) {
        const at = Math.floor(random() * text.length);
        text = text.slice(0, at) + pick(atoms) + text.slice(at);
      }
      let bytes = Buffer.from(text);
      // And now and then a byte that is not UTF-8 (a lone continuation, a lead without its tail).
      if (random() < 0.15) {
        const at = Math.floor(random() * (bytes.length + 1));
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([pick([0x80, 0xc3, 0xe2, 0xf0, 0xff])]), bytes.subarray(at)]);
      }
      const cuts = [...new Set(Array.from({ length: Math.floor(random() * 5) }, () => Math.floor(random() * (bytes.length + 1))))].sort((x, y) => x - y);
      expectSame(bytes, cuts, { skipLines: random() < 0.2 ? 1 : 0, bom: random() < 0.8 });
      expectSame(bytes, every(bytes).at(-1) as number[]);
    }
  });

  it('reads the csv-spectrum fixtures as the string parser does', () => {
    for (const name of readdirSync(SPECTRUM)) {
      const bytes = readFileSync(join(SPECTRUM, name));
      for (const cuts of [[], [1], [Math.floor(bytes.length / 2)], every(bytes).at(-1) as number[]]) expectSame(bytes, cuts);
    }
  });
});
