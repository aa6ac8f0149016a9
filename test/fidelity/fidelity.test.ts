import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FerryError } from '../../src/core/errors.js';
import type { TypeFidelity } from '../../src/core/type-fidelity.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { createMysqlTestDatabase, type MysqlTestDatabase } from '../support/mysql.js';
import { renderFidelityDoc, type MatrixSource } from './fidelity-doc.js';
import { type Endpoint, fidelityEndpoints, openEndpoint } from './fidelity-endpoints.js';
import { matrixSection, pairProblems, representativeColumn, TYPE_CLASSES, type TypeClass } from './fidelity-matrix.js';
import { loadFixture } from '../support/mysql-fixtures.js';
import { BIG_TABLE, fileTableId, loadPgTorture, PARQUET_BAD, PARQUET_DATA, parquetFiles, readTables, tableId, upstreamRowCounts, upstreamRowTotal } from './fixture-sets.js';
import { copyPair, type PairResult, readTable, type SourceData, type TableData } from './pair-copy.js';

/**
 * The fidelity suite: every fixture set is loaded into each engine once
 * (pg-type-torture into Postgres, then Postgres -> each engine is that engine's
 * load), each engine's copy is then copied into every engine, and every value is
 * read back and compared with what was written. The measured matrix must match
 * docs/fidelity.md (`npm run fidelity-matrix` rewrites it).
 */
const DOC = resolve('docs/fidelity.md');
const MYSQL_TORTURE = resolve('../shared/fixtures/mysql-type-torture');
const MYSQL_FILES = readdirSync(MYSQL_TORTURE).filter((f) => f.endsWith('.sql')).sort();
/** Read settings under which every MySQL fixture value has a canonical form (zero dates as NULL, TIME as a duration). */
const MYSQL_LENIENT = { zero_dates: 'null', time_type: 'interval' } as const;
const WRITE_DOC = process.env.FERRY_WRITE_FIDELITY === '1';

/**
 * Empty tables: written to JSONL they are empty files, which name no columns,
 * so a copy out of JSONL has no columns to write (no value is lost).
 */
const EMPTY_JSONL = ['pg_complex_types_mix', 'pg_numeric_array_empty', 'pg_numeric_empty', 'tbl_with_constraints', 'tbl_with_more_constraints', 'tbl_with_unique_constraints', 'column_chunk_key_value_metadata'];

/**
 * Tables a destination may refuse (every other refusal fails the suite):
 * case-insensitive engines cannot hold columns "MyColumn" and "mycolumn" in one
 * table (MySQL: in any table); Spark's INT96 timestamps of int96_from_spark
 * lie outside the range of Postgres, MySQL and Parquet-through-DuckDB
 * timestamps; MySQL FLOAT/DOUBLE hold no NaN.
 */
const KNOWN_REFUSALS: readonly { readonly table: string; readonly into: readonly string[]; readonly error: string }[] = [
  { table: 'tbl_with_case_sensitive_columns', into: ['sqlite', 'duckdb', 'parquet', 'mysql'], error: 'mycolumn' },
  { table: 'int96_from_spark', into: ['postgres'], error: 'timestamp out of range' },
  { table: 'int96_from_spark', into: ['parquet'], error: 'has a timestamp that is not UTC' },
  { table: 'int96_from_spark', into: ['mysql'], error: 'MySQL DATETIME spans years 0000-9999' },
  ...['nan_in_stats', 'float16_zeros_and_nans', 'float16_nonzeros_and_nans', 'floating_orders_nan_count'].map((table) => ({ table, into: ['mysql'], error: 'cannot hold NaN' })),
  { table: 'samecasename', into: ['sqlite', 'duckdb'], error: 'one table: the destination ignores case in names' },
  ...EMPTY_JSONL.map((table) => ({ table, into: ['postgres', 'mysql', 'sqlite', 'duckdb', 'parquet', 'csv', 'jsonl'], error: 'no columns to write' })),
];

/**
 * Copies out of the engines other than Postgres take every table but 345 of
 * the 360 `dec_I_S` tables (DECIMAL(I+S,S), 364 rows each): the 15 with I and
 * S in 0, 1, 9, 18 cover the same edges, and the whole suite stays within
 * minutes (every dec table still goes from Postgres into every engine).
 */
const DEC_EDGES = [0, 1, 9, 18];
const DEC_SAMPLE = DEC_EDGES.flatMap((i) => DEC_EDGES.map((s) => `dec_${i}_${s}`)).filter((t) => t !== 'dec_0_0');
function inSecondHop(table: string): boolean {
  return !/^dec_\d+_\d+$/.test(table) || DEC_SAMPLE.includes(table);
}
const PARTITIONS = ['part_tbl_1', 'part_tbl_2'];

/** Good files DuckDB 1.5.6 cannot read: each must fail with a clean error naming it. */
const UNREADABLE_DATA = [
  'byte_stream_split_extended.gzip.parquet',
  'hadoop_lz4_compressed.parquet',
  'hadoop_lz4_compressed_larger.parquet',
  'large_string_map.brotli.parquet',
  'map_no_value.parquet',
  'non_hadoop_lz4_compressed.parquet',
];

/**
 * bad_data files DuckDB 1.5.6 reads without an error and Ferry's level check
 * lets through: what comes back is pinned here so a change shows, and
 * documented in docs/fidelity.md. (ARROW-GH-45185 and ARROW-RS-GH-6229-LEVELS,
 * which DuckDB also reads, are refused by `checkParquetLevels`.)
 */
const READ_DESPITE_DAMAGE: Readonly<Record<string, { rows: number; first: string; note: string }>> = {
  'ARROW-GH-43605.parquet': {
    rows: 21186,
    first: '[[0],[0],[0],[0],[0],[0]]',
    note: 'Dictionary indexes with RLE bit-width 0 can only mean index 0: every value is 0, as Arrow reads it since the fix of apache/arrow#43605.',
  },
};

/** An error's first line without machine-specific parts (paths, memory figures). */
function cleanError(error: Error): string {
  return (error.message.split('\n')[0] ?? '').replaceAll(resolve('../shared/fixtures'), 'fixtures').replace(/\s*\([\d.]+ GiB\/[\d.]+ GiB used\)/, '');
}

let db: TestDatabase;
let my: MysqlTestDatabase;
let work: string;
let endpoints: Endpoint[];
const loaded = new Map<string, SourceData>();
const sources: MatrixSource[] = [];
const pairs: PairResult[] = [];
const badFiles: { file: string; error: string }[] = [];
const unreadableData: { file: string; error: string }[] = [];
const skipped: string[] = [];
const started = performance.now();

function rowsOf(tables: readonly TableData[]): number {
  return tables.reduce((n, t) => n + t.batch.rows.length, 0);
}

beforeAll(async () => {
  db = await createTestDatabase('fidelity');
  my = await createMysqlTestDatabase('fidelity');
  work = await mkdtemp(join(tmpdir(), 'ferry-fidelity-'));
  endpoints = fidelityEndpoints({ work, postgresUrl: db.url, mysqlUrl: my.url, mysqlDatabase: my.name });
}, 60_000);

afterAll(async () => {
  // The MySQL endpoint writes each pair into a database of its own (`<test database>_<place>`).
  const places = await my?.query<{ name: string }>('SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE ?', [`${my.name}\\_%`]);
  for (const p of places ?? []) await my.query(`DROP DATABASE IF EXISTS \`${p.name}\``);
  await my?.drop();
  await db?.drop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Copy, check the declarations held and only known tables were refused; keep the result. */
async function runPair(from: SourceData, to: Endpoint): Promise<PairResult> {
  const pair = await copyPair(from, to, work);
  pairs.push(pair);
  expect.soft(pairProblems(pair), `${from.name} -> ${to.name}`).toEqual([]);
  const unexpected = pair.refused.filter((r) => !KNOWN_REFUSALS.some((k) => k.table === r.table && k.into.includes(to.name) && r.reason.includes(k.error)));
  expect.soft(unexpected, `${from.name} -> ${to.name}: refused tables`).toEqual([]);
  expect(pair.columns.length).toBeGreaterThan(0);
  return pair;
}

describe('fidelity: pg-type-torture through every pair of engines', () => {
  it('loads every fixture table into Postgres and reads it through the Postgres source', async () => {
    loadPgTorture(db.url);
    const end = openEndpoint(endpoints[0] as Endpoint, 'public', work);
    try {
      const all = await end.source.discover();
      const empty = all.filter((t) => t.columns.length === 0).map((t) => t.table.name).sort();
      expect(empty).toEqual(['dee', 'dum']);
      const tables = all.filter((t) => t.table.name !== BIG_TABLE && t.columns.length > 0);
      const data = await readTables(end.source, tables);
      const counts = upstreamRowCounts('postgres15', 'pg-type-torture');
      const copied = [...counts.keys()].filter((name) => ![BIG_TABLE, 'dum', 'dee', ...PARTITIONS].map((t) => `public.${t}`).includes(name)).sort();
      expect(tables.map((t) => t.name).sort()).toEqual(copied);
      for (const t of tables) expect(data.find((d) => d.id === tableId(t))?.batch.rows.length, t.name).toBe(counts.get(t.name));
      expect(rowsOf(data)).toBe(131_158);
      loaded.set('postgres', { name: 'postgres', tables: data });
      sources.push({ name: 'postgres', origin: '`pg-type-torture` loaded into Postgres 15 (every table but the ones under "Not copied").', tables: data.length, rows: rowsOf(data) });
      skipped.push(`\`${BIG_TABLE}\` (1,000,000 generated integers): copied once, Postgres to Postgres through binary pass-through, by \`src/connectors/postgres/type-torture.test.ts\`.`);
      skipped.push(`${PARTITIONS.map((p) => `\`${p}\``).join(' and ')}, partitions of \`part_tbl\`: their rows are copied as part of \`part_tbl\` (the Postgres source lists partitioned tables, not their partitions).`);
      skipped.push(`From the engines other than Postgres, 345 of the 360 \`dec_I_S\` tables (DECIMAL(I+S,S)): only those with I and S in ${DEC_EDGES.join(', ')} are copied on, to keep the suite within minutes; every \`dec_I_S\` table goes from Postgres into every engine.`);
      skipped.push('Tables that are empty in JSONL have no columns there (an empty file names no keys), so copies out of JSONL skip them; see "Tables a destination refused".');
      skipped.push('`dum` and `dee`, the zero-column tables (`dee` has one row): a stream needs at least one column.');
    } finally {
      await end.close();
    }
  }, 300_000);

  it('copies Postgres into every engine (each engine\'s load) with every value as declared', async () => {
    const from = loaded.get('postgres');
    if (!from) throw new Error('postgres not loaded');
    for (const to of endpoints) {
      const pair = await runPair(from, to);
      if (to.name !== 'postgres') {
        loaded.set(to.name, pair.readBack);
        const second = pair.readBack.tables.filter((t) => inSecondHop(t.id));
        sources.push({ name: to.name, origin: `The tables Postgres -> ${to.name} wrote, read by the ${to.name} source (the \`dec_I_S\` tables only for I, S in ${DEC_EDGES.join(', ')}; see "Not copied").`, tables: second.length, rows: rowsOf(second) });
      }
    }
    const refusals = pairs.flatMap((p) => p.refused.map((r) => `${p.destination}: ${r.table}`));
    expect(refusals).toEqual(['mysql: tbl_with_case_sensitive_columns', 'sqlite: samecasename', 'sqlite: tbl_with_case_sensitive_columns', 'duckdb: samecasename', 'duckdb: tbl_with_case_sensitive_columns', 'parquet: tbl_with_case_sensitive_columns']);
  }, 600_000);

  it('copies each engine\'s copy into every engine with every value as declared', async () => {
    for (const source of endpoints.filter((e) => e.name !== 'postgres')) {
      const from = loaded.get(source.name);
      if (!from) throw new Error(`${source.name} not loaded`);
      const sample = { name: from.name, tables: from.tables.filter((t) => inSecondHop(t.id)) };
      expect(sample.tables.length).toBe(from.tables.length - 360 + DEC_SAMPLE.length);
      for (const to of endpoints) await runPair(sample, to);
    }
  }, 900_000);
});

describe('fidelity: mysql-type-torture', () => {
  it('loads every fixture file into MariaDB, reads every table and copies them into every engine', async () => {
    const tables: TableData[] = [];
    for (const [i, file] of MYSQL_FILES.entries()) {
      const stem = file.replace(/\.sql$/, '');
      const fixture = await createMysqlTestDatabase(`fidtt${i}`);
      // Databases the scripts create by name get names of their own, so parallel runs never share them.
      const rename = new Map([['connector_test', `${fixture.name}_ct`], ['emptydb', `${fixture.name}_e`]]);
      try {
        await loadFixture(join(MYSQL_TORTURE, file), fixture.name, rename);
        const reader = openEndpoint({ name: 'mysql torture', connector: 'mysql', settings: () => ({ url: fixture.url, ...MYSQL_LENIENT }), target: (_p, t) => ({ name: t }) }, stem, work);
        try {
          for (const t of (await reader.source.discover()).filter((d) => d.table.schema === fixture.name)) {
            tables.push({ id: `${stem}_${t.table.name}`.slice(0, 60), batch: await readTable(reader.source, t.table, t.name) });
          }
        } finally {
          await reader.close();
        }
      } finally {
        for (const extra of rename.values()) await fixture.query(`DROP DATABASE IF EXISTS \`${extra}\``);
        await fixture.drop();
      }
    }
    expect(rowsOf(tables)).toBe(upstreamRowTotal('mariadb10.11', 'mysql-type-torture', 'tt_'));
    const from = { name: 'mysql torture', tables };
    sources.push({ name: 'mysql torture', origin: '`mysql-type-torture` loaded into MariaDB (each file in its own database, as `mariadb --force`), read with `zero_dates: null` and `time_type: interval`.', tables: tables.length, rows: rowsOf(tables) });
    for (const to of endpoints) await runPair(from, to);
  }, 600_000);
});

describe('fidelity: parquet-testing files', () => {
  it('reads every good file (map_no_value.parquet is refused cleanly) and copies them into every engine', async () => {
    const reader = openEndpoint({ name: 'parquet files', connector: 'files', settings: () => ({ path: PARQUET_DATA }), target: (_p, t) => ({ name: t }) }, 'data', work);
    const tables: TableData[] = [];
    const unreadable: { file: string; error: string }[] = [];
    try {
      for (const file of parquetFiles(PARQUET_DATA)) {
        try {
          tables.push({ id: fileTableId(file), batch: await readTable(reader.source, { name: file }, file) });
        } catch (error) {
          expect(error, file).toBeInstanceOf(FerryError);
          expect((error as Error).message, file).toContain(file);
          unreadable.push({ file, error: cleanError(error as Error) });
        }
      }
    } finally {
      await reader.close();
    }
    expect(unreadable.map((u) => u.file)).toEqual(UNREADABLE_DATA);
    unreadableData.push(...unreadable);
    const from = { name: 'parquet files', tables };
    sources.push({ name: 'parquet files', origin: 'The files of `parquet/data/` (apache/parquet-testing), read by the files source; `map_no_value.parquet` is refused by DuckDB 1.5.6 with a clean error.', tables: tables.length, rows: rowsOf(tables) });
    for (const to of endpoints) await runPair(from, to);
  }, 600_000);

  for (const file of parquetFiles(PARQUET_BAD)) {
    it(`bad_data/${file} fails with a FerryError naming the file${file in READ_DESPITE_DAMAGE ? ' (or, where DuckDB reads it, gives the rows documented)' : ''}`, async () => {
      const reader = openEndpoint({ name: 'bad parquet', connector: 'files', settings: () => ({ path: PARQUET_BAD }), target: (_p, t) => ({ name: t }) }, 'bad', work);
      try {
        const outcome = await readTable(reader.source, { name: file }, file).then(
          (batch) => batch,
          (e: unknown) => e,
        );
        const known = READ_DESPITE_DAMAGE[file];
        if (known) {
          expect(outcome, `${file} reads through DuckDB 1.5.6`).not.toBeInstanceOf(Error);
          expect(JSON.stringify((outcome as { rows: unknown[] }).rows.slice(0, 6), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).toBe(known.first);
          expect((outcome as { rows: unknown[] }).rows).toHaveLength(known.rows);
          badFiles.push({ file, error: `no error: ${known.rows} rows read. ${known.note}` });
          return;
        }
        expect(outcome, 'a malformed file must not read').toBeInstanceOf(FerryError);
        expect((outcome as Error).message).toContain(file);
        badFiles.push({ file, error: cleanError(outcome as Error) });
      } finally {
        await reader.close();
      }
    }, 60_000);
  }
});

describe('fidelity: the matrix', () => {
  it('docs/fidelity.md is what the suite measured', async () => {
    const declarations = new Map<string, Map<TypeClass, TypeFidelity>>();
    for (const endpoint of endpoints) {
      const end = openEndpoint(endpoint, 'declarations', work);
      try {
        declarations.set(endpoint.name, new Map(TYPE_CLASSES.map((t) => [t, end.destination.typeFidelity(representativeColumn(t), endpoint.target('declarations', 't'))])));
      } finally {
        await end.close();
      }
    }
    const destinations = endpoints.map((e) => e.name);
    const doc = renderFidelityDoc({ sources, destinations, pairs, declarations, badFiles: [...badFiles].sort((a, b) => a.file.localeCompare(b.file)), unreadableData, skipped });
    for (const s of sources) console.log(`from ${s.name}\n${matrixSection(s.name, pairs.filter((p) => p.source === s.name), destinations)}\n`);
    console.log(pairs.map((p) => `${p.source} -> ${p.destination}: ${p.rows} rows in ${p.seconds.toFixed(1)} s`).join('\n'));
    console.log(`fidelity suite: ${pairs.length} pairs in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    expect(sources.map((s) => s.name)).toEqual(['postgres', ...destinations.filter((d) => d !== 'postgres'), 'mysql torture', 'parquet files']);
    if (WRITE_DOC) await writeFile(DOC, doc);
    expect(await readFile(DOC, 'utf8').catch(() => ''), 'docs/fidelity.md is stale: run npm run fidelity-matrix').toBe(doc);
  }, 60_000);
});
