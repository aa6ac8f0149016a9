import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Column, LogicalKind } from '../../core/schema.js';
import { csvOptionsFor, filesConfigSchema } from './config.js';
import { pgCsvOfDecodedFile, pgCsvOfUtf8File, type PgCsvFileOptions } from './csv-pass-through.js';

/**
 * The byte path (UTF-8 files) must yield exactly the bytes and errors of the
 * decoded path, on files long enough to cross many reads of the file.
 */
let dir: string;
const signal = new AbortController().signal;

function options(kinds: Record<string, LogicalKind>, csv: Record<string, unknown> = {}): PgCsvFileOptions {
  const columns: Column[] = Object.entries(kinds).map(([name, kind]) => ({ name, type: { kind } as Column['type'], nullable: true }));
  const config = filesConfigSchema.parse({ path: dir, csv });
  return { csv: csvOptionsFor(config.csv, 'x.csv'), inference: { inferTypes: true, sampleRows: 1000, columnTypes: {} }, columns, signal };
}

async function run(read: typeof pgCsvOfUtf8File, name: string, opts: PgCsvFileOptions): Promise<{ bytes: Buffer; error?: string; line?: unknown }> {
  const out: Buffer[] = [];
  try {
    for await (const chunk of read({ path: join(dir, name), name }, opts)) out.push(chunk);
  } catch (error) {
    return { bytes: Buffer.concat(out), error: (error as Error).message, line: (error as { context?: { line?: number } }).context?.line };
  }
  return { bytes: Buffer.concat(out) };
}

async function same(name: string, opts: PgCsvFileOptions): Promise<{ bytes: Buffer; error?: string }> {
  const byBytes = await run(pgCsvOfUtf8File, name, opts);
  const decoded = await run(pgCsvOfDecodedFile, name, opts);
  expect(byBytes.error, name).toBe(decoded.error);
  expect(byBytes.line, name).toBe(decoded.line);
  if (decoded.error === undefined) expect(byBytes.bytes.equals(decoded.bytes), name).toBe(true);
  return byBytes;
}

const KINDS: Record<string, LogicalKind> = { id: 'int64', amount: 'decimal', note: 'string', day: 'date', at: 'timestamp', at_tz: 'timestamptz', ok: 'boolean' };

/** `rows` records in `lineBreak`, with quotes, doubled quotes, line breaks in quotes, multi-byte text, NULLs and quoted empty strings. */
function generated(rows: number, lineBreak: string, bad?: { row: number; cell: string }): string {
  const lines = ['id,amount,note,day,at,at_tz,ok'];
  for (let g = 1; g <= rows; g++) {
    const note = g % 7 === 0 ? '' : g % 11 === 0 ? '""' : g % 13 === 0 ? `"a ""q"",\nb ${'é'.repeat(g % 5)}"` : g % 3 === 0 ? `"😀 ${g}, ok"` : `plain ${'ü'.repeat(g % 4)}${g}`;
    const amount = g === bad?.row ? bad.cell : g % 5 === 0 ? '' : `${g % 2 ? '-' : ''}${g % 1000}.${g % 10}5`;
    const at = g % 9 === 0 ? '' : `2024-03-${String((g % 28) + 1).padStart(2, '0')} 0${g % 10}:1${g % 6}:2${g % 10}${g % 4 ? `.${g % 999}` : ''}`;
    lines.push([g, amount, note, `2024-02-${String((g % 29) + 1).padStart(2, '0')}`, at, `2024-01-01T00:00:00${g % 2 ? 'Z' : '+05:30'}`, g % 2 ? 'true' : '"false"'].join(','));
  }
  return lines.join(lineBreak) + lineBreak;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-csv-bytes-'));
  await writeFile(join(dir, 'big.csv'), generated(40_000, '\n'));
  await writeFile(join(dir, 'big_crlf.csv'), generated(20_000, '\r\n'));
  await writeFile(join(dir, 'big_bom.csv'), `\ufeff${generated(10_000, '\n')}`);
  await writeFile(join(dir, 'late_bad.csv'), generated(30_000, '\n', { row: 29_000, cell: '1.5.0' }));
  await writeFile(join(dir, 'late_quoted_bad.csv'), generated(30_000, '\n', { row: 25_000, cell: '"1""0"' }));
  await writeFile(join(dir, 'late_ragged.csv'), `${generated(30_000, '\n')}1,2\n`);
  await writeFile(join(dir, 'late_stray_quote.csv'), `${generated(30_000, '\n')}1,2,x"y,2024-01-01,,,true\n`);
  await writeFile(join(dir, 'open_quote.csv'), `${generated(20_000, '\n')}1,2,"never closed\n`);
  // Invalid UTF-8 in a string column, now and then, some of it right at 256 KiB boundaries.
  const parts: Buffer[] = [Buffer.from('id,note\n')];
  let size = parts[0]?.length ?? 0;
  for (let g = 1; size < 3 * 256 * 1024; g++) {
    const line = Buffer.concat([Buffer.from(`${g},x`), g % 97 === 0 ? Buffer.from([0xe2, 0x82]) : Buffer.from('€'), Buffer.from('y\n')]);
    parts.push(line);
    size += line.length;
  }
  await writeFile(join(dir, 'bad_utf8.csv'), Buffer.concat(parts));
  await writeFile(join(dir, 'cr_in_lf.csv'), 'a,b\n1,x\ry\n2,"p\rq"\n3,\r\n4,last');
  await writeFile(join(dir, 'lf_in_crlf.csv'), 'a,b\r\n1,x\ny\r\n2,"p\r\nq"\r\n3,z\r\n');
  await writeFile(join(dir, 'cr_only.csv'), 'a,b\r1,x\r2,"p\rq"\r');
  await writeFile(join(dir, 'one_record.csv'), 'a,b\n"x\ny",z');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('pgCsvOfUtf8File', () => {
  it('yields the bytes of the decoded path for files of many reads, in \\n and \\r\\n, with a BOM', async () => {
    for (const name of ['big.csv', 'big_crlf.csv', 'big_bom.csv']) {
      const out = await same(name, options(KINDS));
      expect(out.error).toBeUndefined();
      expect(out.bytes.toString('utf8').split('\n').length).toBeGreaterThan(10_000);
    }
  });

  it('refuses late bad values, ragged records, stray and open quotes with the decoded path error and line', async () => {
    // Physical line of row `g`: the header, the rows before, and the line break in the note of some of them.
    const lineOf = (g: number) => {
      let line = 1 + g;
      for (let k = 1; k < g; k++) if (k % 13 === 0 && k % 7 !== 0 && k % 11 !== 0) line++;
      return line;
    };
    const expected: Record<string, RegExp> = {
      'late_bad.csv': new RegExp(`line ${lineOf(29_000)}, column "amount": "1\\.5\\.0"`),
      'late_quoted_bad.csv': new RegExp(`line ${lineOf(25_000)}, column "amount": "1\\\\"0"`),
      'late_ragged.csv': /2 fields, expected 7/,
      'late_stray_quote.csv': /a quote inside the unquoted field "x\\"y"/,
      'open_quote.csv': /a quoted field is never closed/,
    };
    for (const [name, message] of Object.entries(expected)) expect((await same(name, options(KINDS))).error, name).toMatch(message);
  });

  it('turns bytes that are not UTF-8 into U+FFFD as decoding does, wherever the reads cut them', async () => {
    const out = await same('bad_utf8.csv', options({ id: 'int64', note: 'string' }));
    expect(out.bytes.toString('utf8')).toContain('97,x\ufffdy\n');
    expect(out.bytes.toString('utf8')).toContain('96,x€y\n');
  });

  it('re-encodes records Postgres would read otherwise (bare CR, line breaks in other record delimiters)', async () => {
    const kinds = { a: 'string', b: 'string' } as const;
    expect((await same('cr_in_lf.csv', options(kinds))).bytes.toString()).toBe('1,"x\ry"\n2,"p\rq"\n3,"\r"\n4,last\n');
    expect((await same('lf_in_crlf.csv', options(kinds))).bytes.toString()).toBe('1,"x\ny"\n2,"p\r\nq"\n3,z\n');
    expect((await same('cr_only.csv', options(kinds))).bytes.toString()).toBe('1,x\n2,"p\rq"\n');
    expect((await same('one_record.csv', options(kinds))).bytes.toString()).toBe('"x\ny",z\n');
  });

  it('checks a later file of a glob has the first file\'s columns, also without a header', async () => {
    const first = { path: join(dir, 'big.csv'), name: 'big.csv' };
    await writeFile(join(dir, 'other_header.csv'), 'id,amount,note\n1,2,3\n');
    await writeFile(join(dir, 'headerless.csv'), '1,2,3\n');
    expect((await same('other_header.csv', { ...options(KINDS), first })).error).toMatch(/other_header\.csv/);
    expect((await same('headerless.csv', { ...options(KINDS, { header: false }), first })).error).toMatch(/headerless\.csv/);
  });
});
