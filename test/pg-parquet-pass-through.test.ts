import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeProject } from '../src/config/test-project.js';
import type { Destination, RawFormat, ReadRequest } from '../src/core/connector.js';
import { DataError } from '../src/core/errors.js';
import type { Column, Row, StreamDescriptor } from '../src/core/schema.js';
import { filesConnector } from '../src/connectors/files/index.js';
import { PgBinaryParts, takesPgBinary } from '../src/connectors/files/pg-binary-parts.js';
import { ParquetFileWriter } from '../src/connectors/files/parquet-writer.js';
import { filesSource, readAll } from '../src/connectors/files/test-support.js';
import { quoteIdent } from '../src/connectors/postgres/identifiers.js';
import type { PostgresSource } from '../src/connectors/postgres/source.js';
import { sourceFor } from '../src/connectors/postgres/test-support/postgres-test-kit.js';
import { ferryCsvReadOf, fileOpenRequest } from './support/ferry-csv-requests.js';
import { binaryReadOf, createBinaryEdgeTables } from './support/pg-binary-edges.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { FIXTURES, loadPgTypeTorture } from './support/pg-type-torture.js';
import { runProjectSync } from './support/run-project-sync.js';

/**
 * PG -> Parquet pass-through (raw format `ferry-csv` converted by DuckDB in the
 * Parquet writer) must write the values and types of the decoded path (COPY
 * text -> canonical values -> Appender), over every table of
 * ../shared/fixtures/pg-type-torture, the naughty strings and edge values.
 */
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
  loadPgTypeTorture(db.url);
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
  await createBinaryEdgeTables(db);
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

function viaPassThrough(name: string, request: ReadRequest, columns: readonly Column[], format: RawFormat = 'ferry-csv'): Promise<Outcome> {
  return settle(async () => {
    const writer = await files.open(fileOpenRequest(name, columns, format), signal);
    try {
      if (!writer.writeRaw) throw new Error(`no pass-through for ${name}`);
      const staged = await writer.writeRaw(source.readRaw(request, format, signal), signal);
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

/** The rows a read decodes (canonical values; bytes as Buffers, as the files source returns them). */
async function sourceRows(request: ReadRequest): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const batch of source.read(request, signal)) rows.push(...batch.rows.map((r) => r.map((v) => (v instanceof Uint8Array ? Buffer.from(v) : v))));
  return rows;
}

/**
 * Throws unless binary COPY re-encoded wrote what the decoded path writes (the
 * same file, as read back and as DuckDB prints it), or landed what the source
 * holds where the decoded path refuses a value (DuckDB casts no BC timestamp
 * from text; binary carries its microseconds), or both failed with a DataError.
 */
async function expectBinarySame(decodedName: string, binaryName: string, request: ReadRequest, columns: readonly Column[], decoded: Outcome, binary: Outcome): Promise<'same' | 'binary only' | 'both failed'> {
  if ('error' in binary) {
    expect('error' in decoded, `${binaryName}: ${binary.error.message}`).toBe(true);
    expect(binary.error).toBeInstanceOf(DataError);
    return 'both failed';
  }
  if ('error' in decoded) {
    const landed = await read(binaryName);
    expect(landed.columns.map((c) => c.type), binaryName).toEqual(columns.map((c) => c.type));
    expect(landed.rows, binaryName).toEqual(await sourceRows(request));
    return 'binary only';
  }
  await expectSame(decodedName, binaryName, columns, decoded, binary);
  return 'same';
}

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
    // And NaN and a timestamp past DuckDB's range (the binary tests' tables).
    expect(failedBoth).toEqual(['public.bc_values', 'public.binary_far', 'public.binary_nan', 'public.tbl_with_case_sensitive_columns']);
    expect([...kinds].sort()).toEqual(['boolean', 'bytes', 'date', 'decimal', 'int16', 'int32', 'int64', 'interval', 'json', 'string', 'time', 'timestamp', 'timestamptz', 'uuid']);
    expect((await readdir(dir)).filter((f) => f.includes('.part'))).toEqual([]);
  }, 900_000);

  it('re-encodes binary COPY into the values and types of the decoded path for every column of the type torture it takes', async () => {
    const tables = (await source.discover()).filter((t) => t.table.name !== 'big_generated_table');
    let rows = 0;
    const outcomes = new Map<string, string[]>();
    const kinds = new Set<string>();
    for (const [i, t] of tables.entries()) {
      const request = binaryReadOf(t);
      if (!request) continue;
      const described = (await source.describe(request.target)).columns;
      expect(takesPgBinary(described), t.name).toBe(true);
      const decoded = await viaDecoded(`bd${i}.parquet`, request, described);
      const binary = await viaPassThrough(`b${i}.parquet`, request, described, 'pg-binary');
      const outcome = await expectBinarySame(`bd${i}.parquet`, `b${i}.parquet`, request, described, decoded, binary);
      outcomes.set(outcome, [...(outcomes.get(outcome) ?? []), t.name]);
      if (!('error' in binary)) rows += binary.rows;
      for (const c of described) kinds.add(c.type.kind);
    }
    expect(outcomes.get('same')?.length).toBeGreaterThan(200);
    // The BC timestamp DuckDB cannot cast from text lands from binary; names DuckDB cannot keep apart fail both ways.
    expect(outcomes.get('binary only')).toEqual(['public.bc_values']);
    // NaN and a timestamp past DuckDB's range (this file's tables) fail both ways too.
    expect(outcomes.get('both failed')).toEqual(['public.binary_far', 'public.binary_nan', 'public.tbl_with_case_sensitive_columns']);
    expect(rows).toBeGreaterThan(25_000);
    expect([...kinds].sort()).toEqual(['boolean', 'bytes', 'date', 'decimal', 'float32', 'float64', 'int16', 'int32', 'int64', 'json', 'string', 'time', 'timestamp', 'timestamptz', 'uuid']);
    expect((await readdir(dir)).filter((f) => f.includes('.part'))).toEqual([]);
  }, 900_000);

  it('re-encodes the edge values of every type it takes from binary COPY into what the decoded path writes', async () => {
    const t = (await source.discover()).find((d) => d.table.name === 'binary_edges') as StreamDescriptor;
    expect(takesPgBinary(t.columns)).toBe(true);
    const request: ReadRequest = { stream: 'binary_edges', target: { kind: 'query', sql: 'SELECT * FROM binary_edges ORDER BY id' }, batchSize: 100 };
    const decoded = await viaDecoded('edges-d.parquet', request, t.columns);
    const binary = await viaPassThrough('edges-b.parquet', request, t.columns, 'pg-binary');
    expect(await expectBinarySame('edges-d.parquet', 'edges-b.parquet', request, t.columns, decoded, binary)).toBe('same');
    const landed = await read('edges-b.parquet');
    expect(landed.rows).toEqual(await sourceRows(request));
    const byId = new Map<unknown, Row>(landed.rows.map((r) => [r[0], r]));
    expect(byId.get(1)?.slice(1, 10)).toEqual([true, -32768, -2147483648, -9223372036854775808n, Number.NaN, Number.NaN, '-9999999999.99', '999999999999.999999', '0.9999']);
    expect(byId.get(1)?.slice(18, 21)).toEqual(['infinity', 'infinity', 'infinity']);
    expect(byId.get(2)?.slice(18, 21)).toEqual(['-infinity', '-infinity', '-infinity']);
    expect(byId.get(1)?.slice(21)).toEqual(['24:00:00', '00:00:00', '-1234567890123456789012345.12345', '99999999999999999999999999999999999999']);
    expect(byId.get(2)?.slice(21)).toEqual(['00:00:00', '23:59:59.999', '1234567890123456789012345.12345', '-99999999999999999999999999999999999999']);
    expect(byId.get(6)?.slice(21)).toEqual(['13:14:15.161718', '01:02:03.004', '0.50000', '18446744073709551616']);
    expect(byId.get(2)?.slice(5, 7)).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(Object.is(byId.get(3)?.[5], -0) && Object.is(byId.get(3)?.[6], -0)).toBe(true);
    expect(byId.get(3)?.slice(18, 21)).toEqual(['4713-01-01 BC', '4713-01-01T00:00:00', '1970-01-01T00:00:00Z']);
    expect(byId.get(4)?.slice(18, 21)).toEqual(['5874897-12-31', '294246-12-31T23:59:59.999999', '2000-01-01T00:00:00.000001Z']);
    expect(byId.get(5)?.slice(1)).toEqual(Array(24).fill(null));
    expect(byId.get(6)?.slice(10, 16)).toEqual(['say "hi", there', 'ü', 'xyz', 'ñame', '{"k": "v"}', '{"k": {"n": [true, null]}}']);
    expect(byId.get(6)?.[17]).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12');
    expect(byId.get(1)?.slice(14, 16)).toEqual(['{"a" :  1}', '{"b": [1, 2]}']);
  }, 120_000);

  it('writes numerics kept as text (unconstrained, over 38 digits) from binary COPY as Postgres prints them', async () => {
    const t = (await source.discover()).find((d) => d.table.name === 'binary_numerics') as StreamDescriptor;
    expect(takesPgBinary(t.columns)).toBe(true);
    const request: ReadRequest = { stream: 'binary_numerics', target: { kind: 'query', sql: 'SELECT * FROM binary_numerics ORDER BY id' }, batchSize: 100 };
    const decoded = await viaDecoded('numerics-d.parquet', request, t.columns);
    const binary = await viaPassThrough('numerics-b.parquet', request, t.columns, 'pg-binary');
    expect(await expectBinarySame('numerics-d.parquet', 'numerics-b.parquet', request, t.columns, decoded, binary)).toBe('same');
    const landed = await read('numerics-b.parquet');
    expect(landed.rows).toEqual(await sourceRows(request));
    // And that is the server's own text of every value.
    const printed = await db.query<{ id: number; n: string | null; w: string | null }>('SELECT id, n::text AS n, w::text AS w FROM binary_numerics ORDER BY id');
    expect(landed.rows.map((r) => [r[0], r[1], r[2]])).toEqual(printed.rows.map((r) => [r.id, r.n, r.w]));
    const n = new Map(landed.rows.map((r) => [r[0], r[1]]));
    expect([1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 16, 19].map((id) => n.get(id))).toEqual(['0', '-0.5', '0.000', '1.50000000', '10000', '100000000', 'NaN', 'Infinity', '-Infinity', '9999.9999', '0.0001', '0.0001', '70000.0070']);
    expect(n.get(14)).toBe(`0.${'0'.repeat(99)}1`);
    expect(n.get(20)).toBe(`9${'0'.repeat(1000)}`);
    expect(landed.rows.find((r) => r[0] === 3)?.[2]).toBe('0.00000000000000000001');
  }, 120_000);

  it('refuses from binary COPY what the decoded path refuses, naming the column and row, and leaves no part behind', async () => {
    for (const table of ['binary_nan', 'binary_far']) {
      const t = (await source.discover()).find((d) => d.table.name === table) as StreamDescriptor;
      const request: ReadRequest = { stream: table, target: { kind: 'query', sql: `SELECT * FROM ${table} ORDER BY id` }, batchSize: 100 };
      const decoded = await viaDecoded(`${table}-d.parquet`, request, t.columns);
      const binary = await viaPassThrough(`${table}-b.parquet`, request, t.columns, 'pg-binary');
      expect(await expectBinarySame(`${table}-d.parquet`, `${table}-b.parquet`, request, t.columns, decoded, binary)).toBe('both failed');
      const message = 'error' in binary ? binary.error.message : '';
      expect(message).toMatch(table === 'binary_nan' ? /^column "m", row 2 of the stream: NaN has no Parquet DECIMAL value$/ : /^column "ts", row 2 of the stream: the timestamp is later than the latest/);
      expect('error' in binary && (binary.error as DataError).context.file).toContain(`${table}-b.parquet`);
      expect((await readdir(dir)).filter((f) => f.includes(`${table}-b`))).toEqual([]);
    }
  }, 120_000);

  it('re-encodes binary COPY cut at any byte into the same parts, and parts of a few rows into the same file', async () => {
    const t = (await source.discover()).find((d) => d.table.name === 'binary_edges') as StreamDescriptor;
    const request: ReadRequest = { stream: 'binary_edges', target: { kind: 'query', sql: 'SELECT * FROM binary_edges ORDER BY id' }, batchSize: 100 };
    const pieces: Buffer[] = [];
    for await (const chunk of source.readRaw(request, 'pg-binary', signal)) pieces.push(Buffer.from(chunk));
    const copy = Buffer.concat(pieces);
    // Each part file's SHA-256 (a deep equality of 240 KB buffers would take the test minutes).
    const partsOf = async (cuts: readonly number[], partRows: number): Promise<string[]> => {
      const written = new Map<number, string>();
      const folder = await mkdtemp(join(tmpdir(), 'ferry-binparts-'));
      try {
        const parts = new PgBinaryParts({
          columns: t.columns,
          pathOf: (index) => join(folder, `p${index}`),
          partRows,
          partBytes: 2 ** 30,
          file: 'x.parquet',
          onPart: async (part) => {
            written.set(part.index, createHash('sha256').update(readFileSync(part.path)).digest('hex'));
          },
        });
        let rows = 0;
        let at = 0;
        for (const cut of [...cuts, copy.length]) {
          // A fresh copy, as the socket's buffer is reused after each chunk.
          rows += await parts.write(Buffer.from(copy.subarray(at, cut)));
          at = cut;
        }
        const last = await parts.end();
        written.set(last.index, createHash('sha256').update(readFileSync(last.path)).digest('hex'));
        expect(rows).toBe(7);
        return [...written.keys()].sort((a, b) => a - b).map((k) => written.get(k) as string);
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    };
    const whole = await partsOf([], 3);
    expect(whole.length).toBe(3);
    // Cut in two at every byte of the head and of each row end's neighbourhood, and in 1..13-byte slices.
    for (let cut = 1; cut < copy.length; cut += cut < 400 ? 1 : 997) expect(await partsOf([cut], 3), `cut at ${cut}`).toEqual(whole);
    const slices: number[] = [];
    for (let at = 0, k = 1; at < copy.length; k = (k % 13) + 1) slices.push((at += k));
    expect(await partsOf(slices.filter((c) => c < copy.length), 3)).toEqual(whole);
    // The file written from parts of 2 rows equals the decoded path's.
    const path = join(dir, 'edges-small-parts.parquet');
    const writer = await ParquetFileWriter.create(path, t.columns, { partRows: 2 });
    let rows = 0;
    for (let at = 0; at < copy.length; at += 101) rows += await writer.writeBinary(Buffer.from(copy.subarray(at, at + 101)));
    await writer.finish();
    expect(rows).toBe(7);
    const decoded = await viaDecoded('edges-small-d.parquet', request, t.columns);
    expect(await expectSame('edges-small-d.parquet', 'edges-small-parts.parquet', t.columns, decoded, { rows })).toBe(7);
    const groups = await query('SELECT count(DISTINCT row_group_id)::int AS n FROM parquet_metadata($1)', path);
    expect(groups).toEqual([{ n: 4 }]);
    // Dropped midway, with parts being written and converted: nothing is left.
    const dropped = await ParquetFileWriter.create(join(dir, 'edges-dropped.parquet'), t.columns, { partRows: 2 });
    expect(await dropped.writeBinary(Buffer.from(copy.subarray(0, Math.floor(copy.length * 0.8))))).toBeGreaterThan(4);
    await dropped.discard();
    expect((await readdir(dir)).filter((f) => f.includes('edges-dropped'))).toEqual([]);
  }, 300_000);

  it('takes a huge value cut into many reads, and keeps parts right after it, when its buffer shrinks back', async () => {
    const columns: Column[] = [{ name: 't', type: { kind: 'string' }, nullable: true, sourceType: 'text', sourceEngine: 'postgres' }];
    const folder = await mkdtemp(join(tmpdir(), 'ferry-binparts-'));
    try {
      const values = ['h'.repeat(40 * 2 ** 20), 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'i'];
      const field = (v: string): Buffer => Buffer.concat([Buffer.from([0, 1]), Buffer.from(new Uint32Array([Buffer.byteLength(v)]).buffer).reverse(), Buffer.from(v)]);
      const copy = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8), ...values.map(field), Buffer.from([0xff, 0xff])]);
      const read: string[] = [];
      const parts = new PgBinaryParts({
        columns,
        pathOf: (i) => join(folder, `p${i}.parquet`),
        partRows: 2,
        partBytes: 2 ** 30,
        file: 'x.parquet',
        onPart: async (part) => {
          for (const row of await query('SELECT c0 FROM read_parquet($1)', part.path)) read.push(String(row.c0));
        },
      });
      // In 64 KiB reads, as a socket delivers them: the 40 MiB row spans 640 of them.
      let rows = 0;
      for (let at = 0; at < copy.length; at += 65_536) rows += await parts.write(copy.subarray(at, at + 65_536));
      expect(rows).toBe(values.length);
      const last = await parts.end();
      for (const row of await query('SELECT c0 FROM read_parquet($1)', last.path)) read.push(String(row.c0));
      expect(read.map((v) => v.length)).toEqual(values.map((v) => v.length));
      expect(read.slice(1)).toEqual(values.slice(1));
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 120_000);

  it('refuses a binary COPY cut short or not binary COPY at all, with the reason', async () => {
    const columns: Column[] = [{ name: 'a', type: { kind: 'int32' }, nullable: true, sourceType: 'integer', sourceEngine: 'postgres' }];
    const folder = await mkdtemp(join(tmpdir(), 'ferry-binparts-'));
    const open = () => new PgBinaryParts({ columns, pathOf: (i) => join(folder, `p${i}`), partRows: 10, partBytes: 2 ** 20, file: 'x.parquet', onPart: async () => undefined });
    try {
      const header = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
      const row = Buffer.from([0, 1, 0, 0, 0, 4, 0, 0, 0, 42]);
      const cutShort = open();
      expect(await cutShort.write(Buffer.concat([header, row, row.subarray(0, 7)]))).toBe(1);
      await expect(cutShort.end()).rejects.toThrow('cannot read binary COPY: the stream ends inside a row (7 bytes left over)');
      const noTrailer = open();
      await noTrailer.write(Buffer.concat([header, row]));
      await expect(noTrailer.end()).rejects.toThrow('the stream ends before the binary COPY trailer');
      await expect(open().write(Buffer.from('id,name\n1,x\n1234567890'))).rejects.toThrow('the bytes do not start with the binary COPY signature');
      await expect(open().write(Buffer.concat([header, Buffer.from([0, 2, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 2])]))).rejects.toThrow('a row has 2 fields, 1 columns were expected');
      await expect(open().write(Buffer.concat([header, Buffer.from([0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1])]))).rejects.toThrow('column "a", row 1 of the stream: a 8-byte field is not a binary int32');
      const done = open();
      await done.write(Buffer.concat([header, row, Buffer.from([0xff, 0xff])]));
      await expect(done.write(row)).rejects.toThrow('bytes follow the end of the binary COPY');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

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
    expect('error' in raw && raw.error.message).toMatch(/^cannot write Parquet from part \.bc-r\.parquet\.[0-9a-f]+\.tmp\.part0\.csv \(CSV records 1-2 of the stream\): Conversion Error/);
    expect('error' in raw && (raw.error as DataError).context.file).toContain('bc-r.parquet');
    expect((await readdir(dir)).filter((f) => f.includes('bc-r'))).toEqual([]);
  }, 120_000);

  it('is picked by the engine (binary COPY where every column re-encodes, else ferry-csv, else decoded), and the sync lands the decoded values, in the page codec the connection asks for', async () => {
    const yml = `name: p\nstate: sqlite:state.db\nconnections:\n  app:\n    type: postgres\n    url: ${db.url}\n  out:\n    type: files\n    path: out\n    parquet:\n      compression: snappy\n`;
    const sync = [
      'source: app\ndestination: out\nstreams:\n  public.naughty:\n    target: naughty.parquet',
      '  with_float:\n    sql: SELECT id, s, id::float8 / 3 AS f FROM naughty ORDER BY id\n    target: with_float.parquet',
      '  public.binary_edges:\n    target: binary_edges.parquet',
      "  with_interval:\n    sql: SELECT id, s, id * interval '1 day' AS i, id::float8 AS f FROM naughty ORDER BY id\n    target: with_interval.parquet",
      "  interval_text:\n    sql: SELECT id, s, n, id * interval '1 day' AS i FROM naughty ORDER BY id\n    target: interval_text.parquet\n",
    ].join('\n');
    const project = await writeProject({ 'ferry.yml': yml, 'syncs/s.yml': sync });
    projects.push(project);
    const { result, events } = await runProjectSync(project);
    expect(result.status).toBe('success');
    const starts = events.filter((e) => e.type === 'stream_start');
    // Unconstrained and 38-digit numerics are re-encoded from binary (the first as its text); an interval is not, its canonical CSV is.
    expect(starts.find((e) => e.stream === 'public.naughty')).toMatchObject({ passThrough: true, rawFormat: 'pg-binary' });
    expect(starts.find((e) => e.stream === 'interval_text')).toMatchObject({ passThrough: true, rawFormat: 'ferry-csv' });
    expect(starts.find((e) => e.stream === 'with_float')).toMatchObject({ passThrough: true, rawFormat: 'pg-binary' });
    expect(starts.find((e) => e.stream === 'public.binary_edges')).toMatchObject({ passThrough: true, rawFormat: 'pg-binary' });
    // An interval has no binary re-encoding and a float no canonical-CSV one: decoded.
    expect(starts.find((e) => e.stream === 'with_interval')).toMatchObject({ passThrough: false });
    expect(starts.find((e) => e.stream === 'with_interval')).not.toHaveProperty('rawFormat');
    const edges = await readAll(filesSource(project, { path: 'out' }), 'binary_edges.parquet');
    const edgesRead: ReadRequest = { stream: 'binary_edges', target: { kind: 'query', sql: 'SELECT * FROM binary_edges' }, batchSize: 100 };
    const byFirst = (rows: readonly Row[]) => [...rows].sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(byFirst(edges.rows)).toEqual(byFirst(await sourceRows(edgesRead)));
    const landed = await readAll(filesSource(project, { path: 'out' }), 'naughty.parquet');
    const t = (await source.discover()).find((d) => d.table.name === 'naughty') as StreamDescriptor;
    const expected: Row[] = [];
    for await (const batch of source.read({ stream: 'naughty', target: { kind: 'table', table: t.table }, batchSize: 1000 }, signal)) expected.push(...batch.rows);
    const sort = (rows: readonly Row[]) => [...rows].sort((a, b) => Number(a[0]) - Number(b[0]));
    const want = sort(expected).map((r) => r.map((v) => (v instanceof Uint8Array ? Buffer.from(v) : v)));
    expect(landed.columns.map((c) => c.type)).toEqual(t.columns.map((c) => c.type));
    expect(sort(landed.rows)).toEqual(want);
    expect(result.streams.find((s) => s.stream === 'public.naughty')?.rowsWritten).toBe(expected.length);
    expect((await readdir(join(project, 'out'))).sort()).toEqual(['binary_edges.parquet', 'interval_text.parquet', 'naughty.parquet', 'with_float.parquet', 'with_interval.parquet']);
    // Every way of writing (raw records, binary COPY, decoded rows) takes the connection's codec.
    const connection = await duck.connect();
    try {
      for (const file of ['naughty.parquet', 'interval_text.parquet', 'with_float.parquet', 'binary_edges.parquet', 'with_interval.parquet']) {
        const codecs = await connection.runAndReadAll('SELECT DISTINCT compression FROM parquet_metadata($1)', [join(project, 'out', file)]);
        expect(codecs.getRowObjectsJson()).toEqual([{ compression: 'SNAPPY' }]);
      }
    } finally {
      connection.closeSync();
    }
  }, 300_000);
});
