import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeProject } from '../src/config/test-project.js';
import type { ConnectorContext, Destination, ReadRequest, Source } from '../src/core/connector.js';
import { DataError } from '../src/core/errors.js';
import type { Column, Row, StreamDescriptor } from '../src/core/schema.js';
import { duckdbConnector } from '../src/connectors/duckdb/index.js';
import { acquireInstance } from '../src/connectors/duckdb/instance-cache.js';
import { quoteIdent } from '../src/connectors/postgres/identifiers.js';
import type { PostgresSource } from '../src/connectors/postgres/source.js';
import { sourceFor } from '../src/connectors/postgres/test-support/postgres-test-kit.js';
import { binaryReadOf, createBinaryEdgeTables } from './support/pg-binary-edges.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { loadPgTypeTorture } from './support/pg-type-torture.js';
import { runProjectSync } from './support/run-project-sync.js';

/**
 * PG -> DuckDB from binary COPY (raw format `pg-binary`, re-encoded into typed
 * Parquet parts that DuckDB inserts into the staging table) must stage the
 * values and types the decoded path (COPY text -> canonical values ->
 * appender) stages, over every type-torture column it takes and the edge values.
 */
const signal = new AbortController().signal;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let db: TestDatabase;
let source: PostgresSource;
let dir: string;
let duck: Destination;
let duckSource: Source;
const projects: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase('pgduckbin');
  loadPgTypeTorture(db.url);
  await createBinaryEdgeTables(db);
  await db.query("CREATE TABLE bc_values (id int, t timestamp, tz timestamptz)");
  await db.query("INSERT INTO bc_values VALUES (1, '2024-01-01 00:00:00', '2024-01-01 00:00:00+00'), (2, '0044-03-15 12:00:00.5 BC', '0044-03-15 12:00:00.5+00 BC')");
  // Three parts of 122,880 rows at most: two inserted together, then the last alone.
  await db.query('CREATE TABLE three_parts (id bigint, v double precision, t text)');
  await db.query("INSERT INTO three_parts SELECT g, g / 7.0, CASE WHEN g % 11 = 0 THEN NULL ELSE 'r' || g END FROM generate_series(1, 245765) g");
  await db.query('CREATE TABLE chunked (id bigint PRIMARY KEY, amount numeric(12,2), note text, at timestamptz)');
  await db.query("INSERT INTO chunked SELECT g, g / 100.0, CASE WHEN g % 7 = 0 THEN NULL ELSE 'n' || g END, timestamptz '2024-01-01' + g * interval '1 minute' FROM generate_series(1, 10000) g");
  source = sourceFor(db.url);
  dir = await mkdtemp(join(tmpdir(), 'ferry-pgduckbin-'));
  await duckdbConnector.load?.();
  const ctx: ConnectorContext = { connection: 'wh', projectDir: dir, logger: quiet };
  const config = duckdbConnector.configSchema.parse({ path: 'w.duckdb' });
  duck = duckdbConnector.createDestination?.(config, ctx) as Destination;
  duckSource = duckdbConnector.createSource?.(config, ctx) as Source;
}, 300_000);

afterAll(async () => {
  await duck?.close();
  await duckSource?.close();
  await source?.close();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
  await Promise.all(projects.map((p) => rm(p, { recursive: true, force: true })));
});

type Outcome = { readonly rows: number } | { readonly error: Error };

async function load(name: string, request: ReadRequest, columns: readonly Column[], binary: boolean): Promise<Outcome> {
  try {
    const writer = await duck.open(
      { sync: 's', stream: name, runId: binary ? 'b' : 'd', target: { schema: 'main', name }, columns, write: 'replace', primaryKey: [], schemaChange: 'evolve', ...(binary ? { rawFormat: 'pg-binary' as const } : {}) },
      signal,
    );
    try {
      if (binary) {
        if (!writer.writeRaw) throw new Error(`no pass-through for ${name}`);
        await writer.writeRaw(source.readRaw(request, 'pg-binary', signal), signal);
      } else {
        for await (const batch of source.read(request, signal)) await writer.write(batch);
      }
      return { rows: (await writer.commit(undefined)).rows };
    } catch (error) {
      await writer.abort();
      throw error;
    }
  } catch (error) {
    return { error: error as Error };
  }
}

/** A table's column types and every value as DuckDB prints it, in a stable order. */
async function tableText(name: string): Promise<unknown[]> {
  const lease = await acquireInstance(join(dir, 'w.duckdb'), {}, 'check');
  const conn = await lease.instance.connect();
  try {
    const types = (await conn.runAndReadAll('SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position', [name])).getRows();
    const list = types.map(([column]) => `CAST(${quoteIdent(String(column))} AS VARCHAR)`).join(', ');
    const rows = (await conn.runAndReadAll(`SELECT ${list} FROM main.${quoteIdent(name)} ORDER BY ALL`)).getRows();
    return [types, rows];
  } finally {
    conn.closeSync();
    lease.release();
  }
}

/** The rows Ferry's DuckDB source reads back from a table. */
async function readBack(name: string): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const batch of duckSource.read({ stream: name, target: { kind: 'query', sql: `SELECT * FROM main.${quoteIdent(name)}` }, batchSize: 1000 }, signal)) rows.push(...batch.rows);
  return rows;
}

async function sourceRows(request: ReadRequest): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const batch of source.read(request, signal)) rows.push(...batch.rows);
  return rows;
}

const byFirst = (rows: readonly Row[]): Row[] => [...rows].sort((a, b) => Number(a[0]) - Number(b[0]));

/** Same table both ways, or the binary one holds what the source holds where the decoded path refuses, or both failed. */
async function compare(decodedName: string, binaryName: string, request: ReadRequest, decoded: Outcome, binary: Outcome): Promise<'same' | 'binary only' | 'both failed'> {
  if ('error' in binary) {
    expect('error' in decoded, `${binaryName}: ${binary.error.message}`).toBe(true);
    // A value refused (DataError), or the same failure as the decoded path (a table DuckDB cannot create).
    if (!(binary.error instanceof DataError) && 'error' in decoded) expect(binary.error.message.replace(binaryName, decodedName)).toBe(decoded.error.message);
    return 'both failed';
  }
  if ('error' in decoded) {
    expect(byFirst(await readBack(binaryName)), binaryName).toEqual(byFirst(await sourceRows(request)));
    return 'binary only';
  }
  expect(binary.rows, binaryName).toBe(decoded.rows);
  expect(await tableText(binaryName), binaryName).toEqual(await tableText(decodedName));
  return 'same';
}

describe('PG -> DuckDB from binary COPY', () => {
  it('stages the values and types of the decoded path for every column of the type torture it takes', async () => {
    const tables = (await source.discover()).filter((t) => t.table.name !== 'big_generated_table');
    const outcomes = new Map<string, string[]>();
    const kinds = new Set<string>();
    let rows = 0;
    for (const [i, t] of tables.entries()) {
      const request = binaryReadOf(t);
      if (!request) continue;
      const described = (await source.describe(request.target)).columns;
      const decoded = await load(`d${i}`, request, described, false);
      const binary = await load(`b${i}`, request, described, true);
      const outcome = await compare(`d${i}`, `b${i}`, request, decoded, binary);
      outcomes.set(outcome, [...(outcomes.get(outcome) ?? []), t.name]);
      if (!('error' in binary)) rows += binary.rows;
      for (const c of described) kinds.add(c.type.kind);
    }
    expect(outcomes.get('same')?.length).toBeGreaterThan(200);
    expect(outcomes.get('binary only')).toBeUndefined();
    // DuckDB compares names ignoring case; NaN and a timestamp past DuckDB's range fail both ways.
    expect(outcomes.get('both failed')).toEqual(['public.binary_far', 'public.binary_nan', 'public.tbl_with_case_sensitive_columns']);
    expect(rows).toBeGreaterThan(25_000);
    expect([...kinds].sort()).toEqual(['boolean', 'bytes', 'date', 'decimal', 'float32', 'float64', 'int16', 'int32', 'int64', 'json', 'string', 'time', 'timestamp', 'timestamptz', 'uuid']);
    expect((await readdir(tmpdir())).filter((f) => f.startsWith('ferry-duckdb-parts-'))).toEqual([]);
  }, 900_000);

  it('stages the edge values as the decoded path does, and refuses what it refuses naming the column and row', async () => {
    const edges: ReadRequest = { stream: 'binary_edges', target: { kind: 'query', sql: 'SELECT * FROM binary_edges' }, batchSize: 100 };
    const t = (await source.discover()).find((d) => d.table.name === 'binary_edges') as StreamDescriptor;
    expect(await compare('edges_d', 'edges_b', edges, await load('edges_d', edges, t.columns, false), await load('edges_b', edges, t.columns, true))).toBe('same');
    expect(byFirst(await readBack('edges_b'))).toEqual(byFirst(await sourceRows(edges)));
    // Numerics kept as text (unconstrained, over 38 digits): the server's own printing, as the decoded path stages it.
    const numerics: ReadRequest = { stream: 'binary_numerics', target: { kind: 'query', sql: 'SELECT * FROM binary_numerics' }, batchSize: 100 };
    const nt = (await source.discover()).find((d) => d.table.name === 'binary_numerics') as StreamDescriptor;
    expect(await compare('num_d', 'num_b', numerics, await load('num_d', numerics, nt.columns, false), await load('num_b', numerics, nt.columns, true))).toBe('same');
    expect(byFirst(await readBack('num_b'))).toEqual(byFirst(await sourceRows(numerics)));
    const nan = (await source.discover()).find((d) => d.table.name === 'binary_nan') as StreamDescriptor;
    const failed = await load('nan_b', { stream: 'binary_nan', target: { kind: 'table', table: nan.table }, batchSize: 100 }, nan.columns, true);
    expect('error' in failed && failed.error.message).toBe('column "m", row 2 of the stream: NaN has no Parquet DECIMAL value');
    // BC timestamps: both ways stage them, alike.
    const bc = (await source.discover()).find((d) => d.table.name === 'bc_values') as StreamDescriptor;
    const bcRead: ReadRequest = { stream: 'bc_values', target: { kind: 'table', table: bc.table }, batchSize: 100 };
    expect(await compare('bc_d', 'bc_b', bcRead, await load('bc_d', bcRead, bc.columns, false), await load('bc_b', bcRead, bc.columns, true))).toBe('same');
  }, 120_000);

  it('stages a stream of several parts in order, two parts an insert and the odd one last', async () => {
    const t = (await source.discover()).find((d) => d.table.name === 'three_parts') as StreamDescriptor;
    const request: ReadRequest = { stream: 'three_parts', target: { kind: 'query', sql: 'SELECT * FROM three_parts ORDER BY id' }, batchSize: 10_000 };
    const binary = await load('three_b', request, t.columns, true);
    expect(binary).toEqual({ rows: 245_765 });
    expect(await readBack('three_b')).toEqual(await sourceRows(request));
    // In the table's own order too (no ORDER BY): the parts went in as they came.
    const lease = await acquireInstance(join(dir, 'w.duckdb'), {}, 'check');
    const conn = await lease.instance.connect();
    try {
      const order = (await conn.runAndReadAll('SELECT count(*) FILTER (WHERE id <> n) AS misplaced, count(*) AS n FROM (SELECT id, row_number() OVER () AS n FROM main.three_b)')).getRowObjectsJson();
      expect(order).toEqual([{ misplaced: '0', n: '245765' }]);
    } finally {
      conn.closeSync();
      lease.release();
    }
  }, 120_000);

  it('is picked by the engine for a Postgres stream whose columns it takes, in chunks too, and the run lands the source rows', async () => {
    const yml = `name: p\nstate: sqlite:state.db\nconnections:\n  app:\n    type: postgres\n    url: ${db.url}\n  wh:\n    type: duckdb\n    path: w.duckdb\n`;
    const sync = [
      'source: app\ndestination: wh\nstreams:\n  public.binary_edges:\n    target: edges',
      "  with_interval:\n    sql: SELECT id, id * interval '1 day' AS i FROM binary_edges\n    target: with_interval",
      '  public.chunked:\n    target: chunked\n    chunks: 3\n',
    ].join('\n');
    const project = await writeProject({ 'ferry.yml': yml, 'syncs/s.yml': sync });
    projects.push(project);
    const { result, events } = await runProjectSync(project);
    expect(result.status, JSON.stringify(result)).toBe('success');
    const starts = events.filter((e) => e.type === 'stream_start');
    expect(starts.find((e) => e.stream === 'public.binary_edges')).toMatchObject({ passThrough: true, rawFormat: 'pg-binary' });
    expect(starts.find((e) => e.stream === 'with_interval')).toMatchObject({ passThrough: false });
    expect(starts.find((e) => e.stream === 'public.chunked')).toMatchObject({ passThrough: true, rawFormat: 'pg-binary' });
    const config = duckdbConnector.configSchema.parse({ path: 'w.duckdb' });
    const landed = duckdbConnector.createSource?.(config, { connection: 'wh', projectDir: project, logger: quiet }) as Source;
    try {
      const read = async (sql: string): Promise<Row[]> => {
        const rows: Row[] = [];
        for await (const batch of landed.read({ stream: 'x', target: { kind: 'query', sql }, batchSize: 1000 }, signal)) rows.push(...batch.rows);
        return byFirst(rows);
      };
      expect(await read('SELECT * FROM main.edges')).toEqual(byFirst(await sourceRows({ stream: 'e', target: { kind: 'query', sql: 'SELECT * FROM binary_edges' }, batchSize: 100 })));
      const chunked = await sourceRows({ stream: 'c', target: { kind: 'query', sql: 'SELECT * FROM chunked' }, batchSize: 1000 });
      expect(chunked.length).toBe(10_000);
      expect(await read('SELECT * FROM main.chunked')).toEqual(byFirst(chunked));
    } finally {
      await landed.close();
    }
  }, 300_000);
});
