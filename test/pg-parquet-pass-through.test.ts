import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeProject } from '../src/config/test-project.js';
import type { Destination, ReadRequest } from '../src/core/connector.js';
import { DataError } from '../src/core/errors.js';
import type { Column, Row, StreamDescriptor } from '../src/core/schema.js';
import { filesConnector } from '../src/connectors/files/index.js';
import { filesSource, readAll } from '../src/connectors/files/test-support.js';
import { quoteIdent } from '../src/connectors/postgres/identifiers.js';
import type { PostgresSource } from '../src/connectors/postgres/source.js';
import { sourceFor } from '../src/connectors/postgres/test-support/postgres-test-kit.js';
import { ferryCsvReadOf, fileOpenRequest } from './support/ferry-csv-requests.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { runProjectSync } from './support/run-project-sync.js';

/**
 * PG -> Parquet pass-through (raw format `ferry-csv` converted by DuckDB in the
 * Parquet writer) must write the values and types of the decoded path (COPY
 * text -> canonical values -> Appender), over every table of
 * ../shared/fixtures/pg-type-torture, the naughty strings and edge values.
 */
const FIXTURES = resolve('../shared/fixtures');
const signal = new AbortController().signal;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let db: TestDatabase;
let source: PostgresSource;
let dir: string;
let files: Destination;
let duck: DuckDBInstance;
const projects: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase('pgparquet');
  for (const file of ['all_pg_types.sql', 'decimals.sql', 'other.sql']) {
    execFileSync('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-d', db.url, '-f', join(FIXTURES, 'pg-type-torture', file)], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  const strings = JSON.parse(readFileSync(join(FIXTURES, 'naughty-strings/blns.json'), 'utf8')) as string[];
  await db.query('CREATE TABLE naughty (id int, s text, b bytea, flag boolean, t timestamp, tz timestamptz, d numeric(38,10), n numeric, j jsonb, u uuid, dt date)');
  await db.query(
    `INSERT INTO naughty SELECT i, s, convert_to(s, 'UTF8'), i % 3 = 0, timestamp '2024-02-29 23:59:59.123456' + i * interval '1 day', timestamptz '2024-01-01 00:00:00+05:45' - i * interval '7 hours',
       i * 1.5, i::numeric ^ 20, jsonb_build_object('s', s), md5(s)::uuid, date '2024-02-29' - i::int * 1500
     FROM unnest($1::text[]) WITH ORDINALITY AS u(s, i)`,
    [strings.filter((s) => !s.includes('\u0000'))],
  );
  await db.query(`INSERT INTO naughty VALUES (9001, '', '', NULL, NULL, NULL, 0, 0, '""', NULL, 'infinity'), (9002, NULL, NULL, true, 'infinity', '-infinity', NULL, NULL, NULL, NULL, NULL),
    (9003, E'a\\rb\\r\\nc', '\\x00ff', false, '9999-12-31 23:59:59.999999', '0001-01-01 00:00:00+00', 9999999999999999999999999999.9999999999, -1e-30, '{"a": [1, "x\\ny"]}', '00000000-0000-0000-0000-000000000000', '0001-12-31 BC'),
    (9004, '\\.', '\\x5c2e', true, '10000-01-01 00:00:00', '2024-06-01 12:00:00.000001+00', -9999999999999999999999999999.9999999999, 1e100, '[]', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '5874897-12-31'),
    (9005, ',"', decode(repeat('ab', 100), 'hex'), false, '1999-12-31 23:59:59.999999', '1970-01-01 00:00:00+00', 0.0000000001, 'NaN', 'null', NULL, '4713-01-01 BC'),
    (9006, E'\\uFEFFbom', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), (9007, repeat('long ', 700000), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
  await db.query("CREATE TABLE bc_values (id int, t timestamp, note text)");
  await db.query("INSERT INTO bc_values VALUES (1, '2024-01-01 00:00:00', 'a'), (2, '0044-03-15 12:00:00.5 BC', 'b')");
  source = sourceFor(db.url);
  dir = await mkdtemp(join(tmpdir(), 'ferry-pgparquet-'));
  files = filesConnector.createDestination?.(filesConnector.configSchema.parse({ path: dir }), { connection: 'files', projectDir: dir, logger: quiet }) as Destination;
  duck = await DuckDBInstance.create(':memory:');
}, 300_000);

afterAll(async () => {
  duck?.closeSync();
  await source?.close();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
  await Promise.all(projects.map((p) => rm(p, { recursive: true, force: true })));
});

/** What a write leaves: its rows, or the error it failed with. */
type Outcome = { readonly rows: number } | { readonly error: Error };

async function settle(write: () => Promise<number>): Promise<Outcome> {
  try {
    return { rows: await write() };
  } catch (error) {
    return { error: error as Error };
  }
}

function viaDecoded(name: string, request: ReadRequest, columns: readonly Column[]): Promise<Outcome> {
  return settle(async () => {
    const writer = await files.open(fileOpenRequest(name, columns, false), signal);
    try {
      for await (const batch of source.read(request, signal)) await writer.write(batch);
      return (await writer.commit(undefined)).rows;
    } catch (error) {
      await writer.abort();
      throw error;
    }
  });
}

function viaPassThrough(name: string, request: ReadRequest, columns: readonly Column[]): Promise<Outcome> {
  return settle(async () => {
    const writer = await files.open(fileOpenRequest(name, columns, true), signal);
    try {
      if (!writer.writeRaw) throw new Error(`no pass-through for ${name}`);
      const staged = await writer.writeRaw(source.readRaw(request, 'ferry-csv', signal), signal);
      const { rows } = await writer.commit(undefined);
      expect(staged.rows).toBe(rows);
      return rows;
    } catch (error) {
      await writer.abort();
      throw error;
    }
  });
}

async function query(sql: string, path: string): Promise<Record<string, unknown>[]> {
  const connection = await duck.connect();
  try {
    return (await connection.runAndReadAll(sql, [path])).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
  }
}

/** Every value of a file as DuckDB prints it, and its schema. */
async function fileText(name: string, columns: readonly Column[]): Promise<unknown[]> {
  const path = join(dir, name);
  const list = columns.map((c, i) => `${c.type.kind === 'bytes' ? `hex(${quoteIdent(c.name)})` : `CAST(${quoteIdent(c.name)} AS VARCHAR)`} AS c${i}`).join(', ');
  return [await query(`SELECT ${list} FROM read_parquet($1)`, path), await query('SELECT * EXCLUDE (file_name) FROM parquet_schema($1)', path)];
}

const read = (name: string) => readAll(filesSource(dir, { path: '.' }), name);

/** Throws unless both ways wrote the same rows, values and types, or both failed with a DataError. */
async function expectSame(decodedName: string, rawName: string, columns: readonly Column[], decoded: Outcome, raw: Outcome): Promise<number> {
  if ('error' in decoded || 'error' in raw) {
    expect('error' in decoded && 'error' in raw, `${rawName}: ${'error' in decoded ? decoded.error.message : ''} | ${'error' in raw ? raw.error.message : ''}`).toBe(true);
    if ('error' in raw) expect(raw.error).toBeInstanceOf(DataError);
    return 0;
  }
  expect(raw.rows).toBe(decoded.rows);
  const [fromDecoded, fromRaw] = [await read(decodedName), await read(rawName)];
  expect(fromRaw.columns, rawName).toEqual(fromDecoded.columns);
  expect(fromRaw.rows, rawName).toEqual(fromDecoded.rows);
  expect(await fileText(rawName, columns), rawName).toEqual(await fileText(decodedName, columns));
  return raw.rows;
}

const renderable = (c: Column): boolean => !['float32', 'float64', 'timetz'].includes(c.type.kind);

describe('PG -> Parquet pass-through', () => {
  it('writes the values and types of the decoded path for every renderable column of the type torture', async () => {
    const tables = (await source.discover()).filter((t) => t.table.name !== 'big_generated_table');
    expect(tables.length).toBeGreaterThan(400);
    let compared = 0;
    let rows = 0;
    const failedBoth: string[] = [];
    const kinds = new Set<string>();
    for (const [i, t] of tables.entries()) {
      const request = ferryCsvReadOf(t, t.columns.filter(renderable));
      const columns = (await source.describe(request.target)).columns;
      const decoded = await viaDecoded(`d${i}.parquet`, request, columns);
      const raw = await viaPassThrough(`r${i}.parquet`, request, columns);
      rows += await expectSame(`d${i}.parquet`, `r${i}.parquet`, columns, decoded, raw);
      if ('error' in raw) failedBoth.push(t.name);
      compared++;
      for (const c of columns) kinds.add(c.type.kind);
    }
    expect(compared).toBe(tables.length);
    expect(rows).toBeGreaterThan(131_000);
    // Refused both ways: a BC timestamp (this file's table; DuckDB has none) and names DuckDB cannot keep apart.
    expect(failedBoth).toEqual(['public.bc_values', 'public.tbl_with_case_sensitive_columns']);
    expect([...kinds].sort()).toEqual(['boolean', 'bytes', 'date', 'decimal', 'int16', 'int32', 'int64', 'interval', 'json', 'string', 'time', 'timestamp', 'timestamptz', 'uuid']);
    expect((await readdir(dir)).filter((f) => f.includes('.part'))).toEqual([]);
  }, 900_000);

  it('writes the hostile strings and edge values of the decoded path', async () => {
    const t = (await source.discover()).find((d) => d.table.name === 'naughty') as StreamDescriptor;
    const request: ReadRequest = { stream: 'naughty', target: { kind: 'query', sql: 'SELECT * FROM naughty ORDER BY id' }, batchSize: 100 };
    const decoded = await viaDecoded('naughty-d.parquet', request, t.columns);
    const raw = await viaPassThrough('naughty-r.parquet', request, t.columns);
    const count = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM naughty');
    expect(await expectSame('naughty-d.parquet', 'naughty-r.parquet', t.columns, decoded, raw)).toBe(count.rows[0]?.n);
    const rows = (await read('naughty-r.parquet')).rows;
    const byId = new Map<unknown, Row>(rows.map((r) => [r[0], r]));
    expect(byId.get(9001)?.slice(1, 3)).toEqual(['', Buffer.alloc(0)]);
    expect(byId.get(9002)?.slice(1, 3)).toEqual([null, null]);
    expect(byId.get(9003)?.slice(1, 3)).toEqual(['a\rb\r\nc', Buffer.from([0, 255])]);
    expect(byId.get(9003)?.[6]).toBe('9999999999999999999999999999.9999999999');
    expect(byId.get(9005)?.[1]).toBe(',"');
    expect(byId.get(9006)?.[1]).toBe('\uFEFFbom');
    expect(byId.get(9002)?.slice(4, 6)).toEqual(['infinity', '-infinity']);
    expect(byId.get(9003)?.[10]).toBe('0001-12-31 BC');
    expect(byId.get(9007)?.[1]).toBe('long '.repeat(700000));
    const text = (await fileText('naughty-r.parquet', t.columns))[0] as Record<string, unknown>[];
    expect(text.find((r) => r.c0 === '9002')).toMatchObject({ c4: 'infinity', c5: '-infinity' });
  }, 300_000);

  it('fails like the decoded path on a BC timestamp (DuckDB has none), naming the file, and leaves no part behind', async () => {
    const t = (await source.discover()).find((d) => d.table.name === 'bc_values') as StreamDescriptor;
    const request: ReadRequest = { stream: 'bc_values', target: { kind: 'table', table: t.table }, batchSize: 100 };
    const decoded = await viaDecoded('bc-d.parquet', request, t.columns);
    const raw = await viaPassThrough('bc-r.parquet', request, t.columns);
    await expectSame('bc-d.parquet', 'bc-r.parquet', t.columns, decoded, raw);
    expect('error' in raw && raw.error.message).toMatch(/^cannot write Parquet from CSV part \.bc-r\.parquet\.[0-9a-f]+\.tmp\.part0\.csv \(records 1-2 of the stream\): Conversion Error/);
    expect('error' in raw && (raw.error as DataError).context.file).toContain('bc-r.parquet');
    expect((await readdir(dir)).filter((f) => f.includes('bc-r'))).toEqual([]);
  }, 120_000);

  it('is picked by the engine for a Postgres stream without floats, and the sync lands the decoded values, in the page codec the connection asks for', async () => {
    const yml = `name: p\nstate: sqlite:state.db\nconnections:\n  app:\n    type: postgres\n    url: ${db.url}\n  out:\n    type: files\n    path: out\n    parquet:\n      compression: snappy\n`;
    const sync = 'source: app\ndestination: out\nstreams:\n  public.naughty:\n    target: naughty.parquet\n  with_float:\n    sql: SELECT id, s, id::float8 / 3 AS f FROM naughty ORDER BY id\n    target: with_float.parquet\n';
    const project = await writeProject({ 'ferry.yml': yml, 'syncs/s.yml': sync });
    projects.push(project);
    const { result, events } = await runProjectSync(project);
    expect(result.status).toBe('success');
    const starts = events.filter((e) => e.type === 'stream_start');
    expect(starts.find((e) => e.stream === 'public.naughty')).toMatchObject({ passThrough: true });
    expect(starts.find((e) => e.stream === 'with_float')).toMatchObject({ passThrough: false });
    const landed = await readAll(filesSource(project, { path: 'out' }), 'naughty.parquet');
    const t = (await source.discover()).find((d) => d.table.name === 'naughty') as StreamDescriptor;
    const expected: Row[] = [];
    for await (const batch of source.read({ stream: 'naughty', target: { kind: 'table', table: t.table }, batchSize: 1000 }, signal)) expected.push(...batch.rows);
    const sort = (rows: readonly Row[]) => [...rows].sort((a, b) => Number(a[0]) - Number(b[0]));
    const want = sort(expected).map((r) => r.map((v) => (v instanceof Uint8Array ? Buffer.from(v) : v)));
    expect(landed.columns.map((c) => c.type)).toEqual(t.columns.map((c) => c.type));
    expect(sort(landed.rows)).toEqual(want);
    expect(result.streams.find((s) => s.stream === 'public.naughty')?.rowsWritten).toBe(expected.length);
    expect((await readdir(join(project, 'out'))).sort()).toEqual(['naughty.parquet', 'with_float.parquet']);
    // Both ways of writing (raw records and decoded rows) take the connection's codec.
    const connection = await duck.connect();
    try {
      for (const file of ['naughty.parquet', 'with_float.parquet']) {
        const codecs = await connection.runAndReadAll('SELECT DISTINCT compression FROM parquet_metadata($1)', [join(project, 'out', file)]);
        expect(codecs.getRowObjectsJson()).toEqual([{ compression: 'SNAPPY' }]);
      }
    } finally {
      connection.closeSync();
    }
  }, 300_000);
});
