import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadRequest, Source, StreamWriter } from '../src/core/connector.js';
import { DataError } from '../src/core/errors.js';
import type { StreamDescriptor } from '../src/core/schema.js';
import { filesConnector } from '../src/connectors/files/index.js';
import type { PostgresDestination } from '../src/connectors/postgres/destination.js';
import { quoteIdent } from '../src/connectors/postgres/identifiers.js';
import { destinationFor } from '../src/connectors/postgres/test-support/postgres-test-kit.js';
import { copyRawBytes, pickRawFormat } from '../src/engine/raw-copy.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';

/**
 * CSV -> PG pass-through (raw format `pg-csv`: the file's records go to
 * `COPY ... FROM STDIN (FORMAT csv)` after Ferry's parser and type checks) must
 * land what the decoded path lands (parse -> canonical values -> COPY text), and
 * refuse what it refuses, with the file and line.
 */
const FIXTURES = resolve('../shared/fixtures');
const signal = new AbortController().signal;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let db: TestDatabase;
let pg: PostgresDestination;
let dir: string;

function filesSource(settings: Record<string, unknown> = {}): Source {
  const config = filesConnector.configSchema.parse({ path: dir, ...settings });
  return filesConnector.createSource?.(config, { connection: 'files', projectDir: dir, logger: quiet }) as Source;
}

function read(name: string): ReadRequest {
  return { stream: name, target: { kind: 'table', table: { name } }, batchSize: 7 };
}

async function open(stream: StreamDescriptor, table: string, raw: boolean): Promise<StreamWriter> {
  return pg.open({ sync: 's', stream: stream.name, runId: table, target: { schema: 'public', name: table }, columns: stream.columns, write: 'replace', primaryKey: [], schemaChange: 'evolve', ...(raw ? { rawFormat: 'pg-csv' as const } : {}) }, signal);
}

async function decoded(source: Source, name: string, table: string): Promise<number> {
  const stream = await source.describe(read(name).target);
  const writer = await open(stream, table, false);
  try {
    for await (const batch of source.read(read(name), signal)) await writer.write(batch);
    return (await writer.commit(undefined)).rows;
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

async function passedThrough(source: Source, name: string, table: string): Promise<number> {
  const stream = await source.describe(read(name).target);
  const writer = await open(stream, table, true);
  try {
    expect(pickRawFormat(source, pg, read(name), stream.columns)).toBe('pg-csv');
    const staged = await copyRawBytes(source, writer, read(name), 'pg-csv', signal);
    const rows = (await writer.commit(undefined)).rows;
    expect(staged.rows).toBe(rows);
    return rows;
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/** Rows in one table and not the other (both ways, as text, with duplicates), and the column types. */
async function compare(a: string, b: string): Promise<{ differing: number; types: [string, string] }> {
  const cols = await db.query<{ name: string; type: string }>(`SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = '${a}'::regclass AND attnum > 0 ORDER BY attnum`);
  const list = cols.rows.map((c) => `${quoteIdent(c.name)}::text`).join(', ');
  const diff = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ((SELECT ${list} FROM ${a} EXCEPT ALL SELECT ${list} FROM ${b}) UNION ALL (SELECT ${list} FROM ${b} EXCEPT ALL SELECT ${list} FROM ${a})) d`);
  const typesOf = async (t: string): Promise<string> =>
    (await db.query<{ t: string }>(`SELECT string_agg(format_type(atttypid, atttypmod), ',' ORDER BY attnum) AS t FROM pg_attribute WHERE attrelid = '${t}'::regclass AND attnum > 0`)).rows[0]?.t ?? '';
  return { differing: diff.rows[0]?.n ?? -1, types: [await typesOf(a), await typesOf(b)] };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

const GENERATED_ROWS = 3000;

function generatedCsv(lineBreak: string, from: number): string {
  const lines = ['id,amount,note,paid,day,at,at_tz,code'];
  for (let g = from; g < from + GENERATED_ROWS; g++) {
    const note = g % 17 === 0 ? '' : g % 101 === 0 ? '""' : g % 50 === 0 ? `"two lines,\nthe second ""quoted"""` : g % 5 === 0 ? `"He said ""ship it, now"", ${g}"` : `order ${g}`;
    const amount = g % 13 === 0 ? '' : `${g % 2 ? '-' : ''}${g % 1000}.${String(g % 100).padStart(2, '0')}`;
    const at = g % 11 === 0 ? '' : `2024-0${(g % 9) + 1}-1${g % 10} 0${g % 10}:1${g % 6}:2${g % 10}${g % 3 ? `.${g % 1000}` : ''}`;
    const tz = `2024-01-0${(g % 9) + 1}T12:34:56${g % 4 === 0 ? 'Z' : g % 4 === 1 ? '+05:45' : g % 4 === 2 ? '-0330' : '+00'}`;
    lines.push([g, amount, note, g % 3 === 0 ? 'true' : 'false', `2023-12-${String((g % 28) + 1).padStart(2, '0')}`, at, tz, `00${g}`].join(','));
  }
  return `${lines.join(lineBreak)}${lineBreak}`;
}

beforeAll(async () => {
  db = await createTestDatabase('csvpg');
  pg = destinationFor(db.url);
  dir = await mkdtemp(join(tmpdir(), 'ferry-csvpg-'));
  await writeFile(join(dir, 'orders.csv'), generatedCsv('\n', 1));
  await writeFile(join(dir, 'orders_crlf.csv'), generatedCsv('\r\n', 1));
  await writeFile(join(dir, 'part-1.csv'), generatedCsv('\n', 1));
  await writeFile(join(dir, 'part-2.csv'), generatedCsv('\r\n', GENERATED_ROWS + 1));
  // A bare carriage return in an unquoted field (Postgres would refuse it raw), a quoted one, a file without a last line break.
  await writeFile(join(dir, 'bare_cr.csv'), 'a,b\n1,x\ry\n2,"p\rq"\n3,\r\n4,last');
  await writeFile(join(dir, 'bare_lf_in_crlf.csv'), 'a,b\r\n1,x\ny\r\n2,"p\r\nq"\r\n3,z\r\n');
  // BOM, skipped lines, Latin-1, bytes that are not UTF-8.
  await writeFile(join(dir, 'bom.csv'), `\ufeffjunk line\nmore junk\nk,v\n1,"é, ü"\n2,\n`);
  await writeFile(join(dir, 'latin1.csv'), Buffer.from('k,v\n1,caf\xe9\n2,na\xefve\n', 'latin1'));
  await writeFile(join(dir, 'bad_utf8.csv'), Buffer.concat([Buffer.from('k,v\n1,a'), Buffer.from([0xff, 0xfe]), Buffer.from('b\n2,ok\n')]));
  const strings = JSON.parse(readFileSync(join(FIXTURES, 'naughty-strings/blns.json'), 'utf8')) as string[];
  const quoted = strings.filter((s) => !s.includes('\u0000')).map((s, i) => `${i + 1},"${s.replaceAll('"', '""')}"`);
  await writeFile(join(dir, 'naughty.csv'), `id,text\n${quoted.join('\n')}\n`);
  // A value past the sample that does not fit the inferred kind; a value Ferry accepts and Postgres refuses.
  await writeFile(join(dir, 'late_bad.csv'), `id,n\n1,10\n2,"multi\nline"\n`.replace('"multi\nline"', '20') + '3,30\n4,4x\n');
  await writeFile(join(dir, 'pg_refuses.csv'), 'id,note,day\n1,"a\nb",2024-01-01\n2,x,2024-02-29\n3,"c\n\nd",0000-01-01\n');
  await writeFile(join(dir, 'noheader.csv'), '1,"a\nb",2024-01-01\n2,,2024-01-02\n3,"",2024-01-03\n');
  await writeFile(join(dir, 'orders.csv.gz'), gzipSync(generatedCsv('\n', 1)));
  await writeFile(join(dir, 'pg_refuses_2.csv'), 'id,note,day\n1,"a\nb\nc",2024-01-01\n2,x,0000-01-01\n3,y,2024-01-01\n');
  await writeFile(join(dir, 'width.csv'), 'a,b\n1,2\n3\n');
}, 120_000);

afterAll(async () => {
  await pg?.close();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('CSV -> PG pass-through', () => {
  const cases: readonly (readonly [string, Record<string, unknown>?])[] = [
    ['orders.csv'],
    ['orders_crlf.csv'],
    ['part-*.csv'],
    ['bare_cr.csv'],
    ['bare_lf_in_crlf.csv'],
    ['bom.csv', { csv: { skip_rows: 2 } }],
    ['latin1.csv', { csv: { encoding: 'latin1' } }],
    ['bad_utf8.csv'],
    ['naughty.csv'],
    ['orders.csv', { infer_types: false }],
    ['noheader.csv', { csv: { header: false, columns: ['id', 'note', 'day'] } }],
    ['noheader.csv', { csv: { header: false } }],
    ['orders.csv.gz'],
    ['orders.csv', { csv: { column_types: { code: 'string' } }, sample_rows: 10 }],
  ];
  for (const [i, [name, settings]] of cases.entries()) {
    it(`lands ${name}${settings ? ` with ${JSON.stringify(settings)}` : ''} as the decoded path does`, async () => {
      const source = filesSource(settings);
      const rows = await decoded(source, name, `d${i}`);
      expect(await passedThrough(source, name, `r${i}`)).toBe(rows);
      const { differing, types } = await compare(`d${i}`, `r${i}`);
      expect(differing).toBe(0);
      expect(types[1]).toBe(types[0]);
      expect(rows).toBeGreaterThan(0);
    });
  }

  it('lands the csv-spectrum files of two columns or more as the decoded path does', async () => {
    const spectrum = join(FIXTURES, 'csv-spectrum/csvs');
    const config = filesConnector.configSchema.parse({ path: spectrum });
    const source = filesConnector.createSource?.(config, { connection: 'spectrum', projectDir: spectrum, logger: quiet }) as Source;
    let compared = 0;
    for (const [i, name] of ['comma_in_quotes.csv', 'empty.csv', 'empty_crlf.csv', 'escaped_quotes.csv', 'json.csv', 'newlines.csv', 'newlines_crlf.csv', 'quotes_and_newlines.csv', 'simple.csv', 'simple_crlf.csv', 'utf8.csv'].entries()) {
      const stream = await source.describe(read(name).target);
      if (stream.columns.length < 2) continue;
      const rows = await decoded(source, name, `sd${i}`);
      expect(await passedThrough(source, name, `sr${i}`), name).toBe(rows);
      expect((await compare(`sd${i}`, `sr${i}`)).differing, name).toBe(0);
      compared++;
    }
    expect(compared).toBe(11);
  });

  it('lands exactly the values of the generated file (spot checks)', async () => {
    const row = await db.query<{ amount: string; note: string | null; at_tz: string; code: string; paid: boolean }>(
      `SELECT amount::text, note, to_char(at_tz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS at_tz, code, paid FROM r0 WHERE id IN (50, 101, 17, 15) ORDER BY id`,
    );
    expect(row.rows.map((r) => r.note)).toEqual(['He said "ship it, now", 15', null, 'two lines,\nthe second "quoted"', '']);
    expect(row.rows[0]).toMatchObject({ amount: '-15.15', at_tz: '2024-01-07 12:34:56', code: '0015', paid: true });
  });

  it('is not offered where semantics could differ', () => {
    const columns = [{ name: 'a', type: { kind: 'int64' as const }, nullable: true }, { name: 'b', type: { kind: 'string' as const }, nullable: true }];
    const formats = (settings: Record<string, unknown>, request: Partial<ReadRequest> = {}): readonly string[] => filesSource(settings).rawFormatsFor?.({ ...read('x.csv'), ...request }, columns) ?? [];
    expect(formats({})).toEqual(['pg-csv']);
    expect(formats({ csv: { delimiter: ';' } })).toEqual([]);
    expect(formats({ csv: { null_values: ['', 'NULL'] } })).toEqual([]);
    expect(formats({ csv: { escape: '\\' } })).toEqual([]);
    expect(formats({ column_types: { a: 'int64' } })).toEqual([]);
    expect(formats({}, { filters: [{ column: 'a', type: { kind: 'int64' }, op: 'eq', value: 1n }] })).toEqual([]);
    expect(formats({}, { columns: ['b', 'a'] })).toEqual([]);
    expect(filesSource({}).rawFormatsFor?.(read('x.tsv'), columns)).toEqual([]);
    expect(filesSource({}).rawFormatsFor?.(read('x.csv'), columns.slice(0, 1))).toEqual([]);
  });

  it('refuses a value past the sample with the decoded path error (file, line, column)', async () => {
    const source = filesSource({ sample_rows: 2 });
    const viaDecoded = await failure(decoded(source, 'late_bad.csv', 'lb_d'));
    const viaRaw = await failure(passedThrough(source, 'late_bad.csv', 'lb_r'));
    expect(viaRaw).toBeInstanceOf(DataError);
    expect(viaRaw.message).toBe(viaDecoded.message);
    expect(viaRaw.message).toContain('late_bad.csv: line 5, column "n": "4x"');
    expect(await failure(passedThrough(source, 'width.csv', 'w_r'))).toHaveProperty('message', (await failure(decoded(source, 'width.csv', 'w_d'))).message);
  });

  it('names the file and line of a value Postgres refuses (records spanning lines counted right)', async () => {
    const error = await failure(passedThrough(filesSource(), 'pg_refuses.csv', 'pr_r'));
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).context).toMatchObject({ file: 'pg_refuses.csv', line: 5 });
    expect((error as DataError).describe()).toMatch(/^pg_refuses\.csv:5: .*out of range/);
    // The decoded path fails on the same value.
    expect((await failure(decoded(filesSource(), 'pg_refuses.csv', 'pr_d'))).message).toMatch(/out of range/);
    // Line breaks inside the first record are not counted by Postgres (its line ending is not known yet).
    const second = await failure(passedThrough(filesSource(), 'pg_refuses_2.csv', 'pr2_r'));
    expect((second as DataError).context).toMatchObject({ file: 'pg_refuses_2.csv', line: 5 });
    const tables = await db.query("SELECT 1 FROM pg_class WHERE relname IN ('pr_r', 'pr_d', 'pr2_r')");
    expect(tables.rowCount).toBe(0);
  });
});
