import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../core/checkpoint.js';
import type { ConnectorContext, OpenRequest, ReadRequest, WriteMode } from '../../core/connector.js';
import { DataError, SchemaChangeError } from '../../core/errors.js';
import type { Batch, Column, Row } from '../../core/schema.js';
import { EVERY_KIND_BATCH, EVERY_KIND_COLUMNS, EVERY_KIND_ROWS, MANY_COLUMNS, manyRows } from '../sqlite/every-kind.fixture.js';
import type { DuckdbDestination } from './destination.js';
import { duckdbConnector } from './index.js';
import { acquireInstance } from './instance-cache.js';
import type { DuckdbSource } from './source.js';

const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
let dir: string;
let ctx: ConnectorContext;
let destination: DuckdbDestination;
let source: DuckdbSource;
const never = new AbortController().signal;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-duckdb-'));
  ctx = { connection: 'duck', projectDir: dir, logger };
  const config = duckdbConnector.configSchema.parse({ path: 'wh/test.duckdb', schema: 'raw' });
  destination = duckdbConnector.createDestination?.(config, ctx) as DuckdbDestination;
  source = duckdbConnector.createSource?.(config, ctx) as DuckdbSource;
});

afterAll(async () => {
  await source?.close();
  await destination?.close();
  await rm(dir, { recursive: true, force: true });
});

function request(table: string, write: WriteMode, columns: readonly Column[], extra: Partial<OpenRequest> = {}): OpenRequest {
  return { sync: 's', stream: table, runId: 'r1', target: { schema: 'raw', name: table }, columns, write, primaryKey: [], schemaChange: 'evolve', ...extra };
}

async function load(open: OpenRequest, batches: readonly Batch[], checkpoint?: Checkpoint): Promise<number> {
  const writer = await destination.open(open, never);
  for (const batch of batches) await writer.write(batch);
  return (await writer.commit(checkpoint)).rows;
}

async function readAll(table: string, extra: Partial<ReadRequest> = {}): Promise<Batch> {
  const rows: Row[] = [];
  let columns: readonly Column[] = [];
  for await (const batch of source.read({ stream: table, target: { kind: 'table', table: { schema: 'raw', name: table } }, batchSize: 1000, ...extra }, never)) {
    columns = batch.columns;
    rows.push(...batch.rows);
  }
  return { columns, rows };
}

/** Raw SQL through the shared instance (a second instance on the same file would be refused). */
async function sql(text: string): Promise<unknown[][]> {
  const lease = await acquireInstance(join(dir, 'wh/test.duckdb'), {}, 'test');
  const conn = await lease.instance.connect();
  try {
    return (await conn.runAndReadAll(text)).getRows() as unknown[][];
  } finally {
    conn.closeSync();
    lease.release();
  }
}

const byId = (rows: readonly Row[]): Row[] => [...rows].sort((a, b) => Number((a[0] as bigint) - (b[0] as bigint)));
const plainBytes = (rows: readonly Row[]): Row[] => rows.map((r) => r.map((v) => (v instanceof Uint8Array ? new Uint8Array(v) : v)));

describe('duckdb every logical kind', () => {
  it('round-trips every kind through destination and source', async () => {
    expect(await load(request('kinds', 'replace', EVERY_KIND_COLUMNS), [EVERY_KIND_BATCH])).toBe(EVERY_KIND_ROWS.length);
    const back = await readAll('kinds');
    expect(back.columns.map((c) => c.type)).toEqual(EVERY_KIND_COLUMNS.map((c) => (c.type.kind === 'string' ? { kind: 'string' } : c.type)));
    expect(plainBytes(byId(back.rows))).toEqual(EVERY_KIND_ROWS);
  });

  it('stores native DuckDB types (exact decimals up to 38 digits, VARCHAR beyond)', async () => {
    const types = await sql(`SELECT typeof(b), typeof(i16), typeof(i64), typeof(f32), typeof(d38), typeof(d), typeof("by"), typeof(j), typeof(u), typeof(dt), typeof(ttz), typeof(ts), typeof(tstz), typeof(iv) FROM raw.kinds LIMIT 1`);
    expect(types[0]).toEqual(['BOOLEAN', 'SMALLINT', 'BIGINT', 'FLOAT', 'DECIMAL(38,10)', 'VARCHAR', 'BLOB', 'JSON', 'UUID', 'DATE', 'TIME WITH TIME ZONE', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'INTERVAL']);
    expect(await sql(`SELECT CAST(d38 AS VARCHAR), CAST(ts AS VARCHAR), CAST(tstz AS VARCHAR), isnan(f32) FROM raw.kinds WHERE id = 2`)).toEqual([
      ['9999999999999999999999999999.9999999999', '9999-12-31 23:59:59.999999', '12345-06-07 08:09:10.5+00', true],
    ]);
  });

  it('keeps -0.0, BC timestamps and infinities; refuses values outside DuckDB ranges', async () => {
    const cols: Column[] = [EVERY_KIND_COLUMNS[0] as Column, EVERY_KIND_COLUMNS[6] as Column, EVERY_KIND_COLUMNS[14] as Column, EVERY_KIND_COLUMNS[17] as Column];
    const rows: Row[] = [[1n, -0, 'infinity', '0044-03-15T12:00:00.5 BC'], [2n, 1, '-infinity', 'infinity'], [3n, 2, '0001-12-31 BC', '-infinity']];
    await load(request('edges', 'replace', cols), [{ columns: cols, rows }]);
    const back = byId((await readAll('edges')).rows);
    expect(back).toEqual(rows);
    expect(Object.is(back[0]?.[1], -0)).toBe(true);
    const writer = await destination.open(request('edges', 'append', cols), never);
    await expect(writer.write({ columns: cols, rows: [[4n, 0, '2024-01-01', '300000-01-01T00:00:00']] })).rejects.toBeInstanceOf(DataError);
    await writer.abort();
    expect((await readAll('edges')).rows.length).toBe(3);
  });

  it('round-trips all 515 naughty strings exactly', async () => {
    const strings = JSON.parse(await readFile(resolve('../shared/fixtures/naughty-strings/blns.json'), 'utf8')) as string[];
    expect(strings.length).toBe(515);
    const columns: Column[] = [{ name: 'id', type: { kind: 'int64' }, nullable: false }, { name: 'text', type: { kind: 'string' }, nullable: true }];
    await load(request('naughty', 'replace', columns), [{ columns, rows: strings.map((s, i) => [BigInt(i), s]) }]);
    expect(byId((await readAll('naughty')).rows).map((r) => r[1])).toEqual(strings);
  });
});

describe('duckdb write modes', () => {
  const cols: Column[] = [
    { name: 'region', type: { kind: 'string' }, nullable: false },
    { name: 'id', type: { kind: 'int32' }, nullable: false },
    { name: 'amount', type: { kind: 'decimal', precision: 10, scale: 2 }, nullable: true },
    { name: 'updated', type: { kind: 'timestamp' }, nullable: true },
  ];
  const batch = (rows: Row[]): Batch => ({ columns: cols, rows });
  const sorted = (rows: readonly Row[]): Row[] => [...rows].sort((a, b) => `${a[0]}${a[1]}`.localeCompare(`${b[0]}${b[1]}`));

  it('append adds, truncate replaces the rows, replace swaps the table', async () => {
    await load(request('modes', 'append', cols), [batch([['eu', 1, '1.00', null]])]);
    await load(request('modes', 'append', cols), [batch([['eu', 2, '2.00', null]])]);
    expect((await readAll('modes')).rows.length).toBe(2);
    await load(request('modes', 'truncate', cols), [batch([['us', 3, '3.00', null]])]);
    expect((await readAll('modes')).rows).toEqual([['us', 3, '3.00', null]]);
    await load(request('modes', 'replace', cols), [batch([['us', 4, '4.00', null]]), batch([['us', 5, '5.00', null]])]);
    expect(sorted((await readAll('modes')).rows)).toEqual([['us', 4, '4.00', null], ['us', 5, '5.00', null]]);
  });

  it('merge upserts on a two-column key; the highest cursor wins among duplicates, NULL cursors lose', async () => {
    const open = request('merged', 'merge', cols, { primaryKey: ['region', 'id'], cursorColumn: 'updated' });
    await load(open, [batch([['eu', 1, '1.00', '2024-01-01T00:00:00'], ['us', 1, '1.50', '2024-01-01T00:00:00']])]);
    const written = await load(open, [
      batch([['eu', 1, '9.00', '2024-03-01T00:00:00'], ['eu', 1, '2.00', '2024-02-01T00:00:00']]),
      batch([['eu', 1, '7.00', null], ['eu', 2, '3.00', '2024-01-01T00:00:00.5'], ['eu', 2, '4.00', '2024-01-01T00:00:00.25']]),
    ]);
    expect(written).toBe(2);
    expect(sorted((await readAll('merged')).rows)).toEqual([
      ['eu', 1, '9.00', '2024-03-01T00:00:00'],
      ['eu', 2, '3.00', '2024-01-01T00:00:00.5'],
      ['us', 1, '1.50', '2024-01-01T00:00:00'],
    ]);
    expect((await source.describe({ kind: 'table', table: { schema: 'raw', name: 'merged' } })).primaryKey).toEqual(['region', 'id']);
  });

  it('merge into a table made by replace (no key) works too', async () => {
    await load(request('swapped', 'replace', cols), [batch([['eu', 1, '1.00', null]])]);
    await load(request('swapped', 'merge', cols, { primaryKey: ['region', 'id'] }), [batch([['eu', 1, '5.00', null], ['eu', 2, '6.00', null]])]);
    expect(sorted((await readAll('swapped')).rows)).toEqual([['eu', 1, '5.00', null], ['eu', 2, '6.00', null]]);
  });

  it('abort leaves the target as it was and drops the staging table', async () => {
    for (const write of ['replace', 'append', 'truncate', 'merge'] as const) {
      const writer = await destination.open(request('modes', write, cols, { primaryKey: ['region', 'id'] }), never);
      await writer.write(batch([['xx', 99, '0.00', null]]));
      await writer.abort();
      await writer.abort();
      expect(sorted((await readAll('modes')).rows)).toEqual([['us', 4, '4.00', null], ['us', 5, '5.00', null]]);
    }
    expect(await sql(`SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '\\_ferry\\_stage%' ESCAPE '\\'`)).toEqual([]);
  });

  it('commits the checkpoint with the data, and not when aborted', async () => {
    const checkpoint: Checkpoint = { sync: 's', stream: 'cp', runId: 'r7', seq: 7, state: { cursor: { column: 'id', kind: 'int32', value: '2', boundaryKeys: ['["eu",2]'] } } };
    await load(request('cp', 'append', cols), [batch([['eu', 2, null, null]])], checkpoint);
    expect(await destination.readCheckpoint('s', 'cp')).toEqual(checkpoint);
    const next: Checkpoint = { ...checkpoint, seq: 8 };
    const writer = await destination.open(request('cp', 'append', cols), never);
    await writer.write(batch([['eu', 3, null, null]]));
    await writer.abort();
    expect(await destination.readCheckpoint('s', 'cp')).toEqual(checkpoint);
    await load(request('cp', 'append', cols), [batch([['eu', 3, null, null]])], next);
    expect(await destination.readCheckpoint('s', 'cp')).toEqual(next);
    expect(await destination.readCheckpoint('s', 'other')).toBeUndefined();
  });

  it('evolves the table with new columns, or refuses them under freeze', async () => {
    const wider: Column[] = [...cols, { name: 'big', type: { kind: 'decimal' }, nullable: true }];
    await expect(destination.open(request('modes', 'append', wider, { schemaChange: 'freeze' }), never)).rejects.toBeInstanceOf(SchemaChangeError);
    await load(request('modes', 'append', wider), [{ columns: wider, rows: [['eu', 6, '6.00', null, '1234567890123456789012345678901234567890.5']] }]);
    expect(sorted((await readAll('modes')).rows)).toEqual([
      ['eu', 6, '6.00', null, '1234567890123456789012345678901234567890.5'],
      ['us', 4, '4.00', null, null],
      ['us', 5, '5.00', null, null],
    ]);
  });

  it('loads streams in parallel into one database', async () => {
    const loads = ['p1', 'p2', 'p3'].map((t) => load(request(t, 'merge', MANY_COLUMNS, { primaryKey: ['id'] }), [{ columns: MANY_COLUMNS, rows: manyRows(5000) }], { sync: 's', stream: t, runId: 'r', seq: 1, state: {} }));
    expect(await Promise.all(loads)).toEqual([5000, 5000, 5000]);
    expect(await sql(`SELECT count(*) FROM raw.p1 UNION ALL SELECT count(*) FROM raw.p3`)).toEqual([[5000n], [5000n]]);
  });

  it('stages 100k rows in flat batches', async () => {
    const batches = Array.from({ length: 10 }, (_, i) => ({ columns: MANY_COLUMNS, rows: manyRows(10_000, i * 10_000) }));
    expect(await load(request('many', 'replace', MANY_COLUMNS), batches)).toBe(100_000);
    const back = await readAll('many', { batchSize: 7000 });
    expect(back.rows.length).toBe(100_000);
    expect(byId(back.rows)[99_999]).toEqual(manyRows(1, 99_999)[0]);
  });

  it('appends 1M rows (rows/s printed)', async () => {
    const batches = Array.from({ length: 100 }, (_, i) => ({ columns: MANY_COLUMNS, rows: manyRows(10_000, i * 10_000) }));
    const started = performance.now();
    const writer = await destination.open(request('million', 'append', MANY_COLUMNS), never);
    for (const batch of batches) await writer.write(batch);
    expect((await writer.commit(undefined)).rows).toBe(1_000_000);
    const seconds = (performance.now() - started) / 1000;
    console.log(`duckdb: 1M-row append in ${seconds.toFixed(2)} s = ${Math.round(1_000_000 / seconds)} rows/s`);
    expect(await sql('SELECT count(*), sum(id) FROM raw.million')).toEqual([[1_000_000n, 499_999_500_000n]]);
  }, 300_000);
});

describe('duckdb source', () => {
  it('reads DuckDB-only types: huge and unsigned integers as decimals, nested values as JSON, enums as strings', async () => {
    await sql(`CREATE TABLE IF NOT EXISTS raw.native AS SELECT 170141183460469231731687303715884105727::HUGEINT AS h, 18446744073709551615::UBIGINT AS ub,
      [1, NULL, 3]::INTEGER[] AS l, {'a': 1.50::DECIMAL(4,2), 'b': 'x'} AS st, MAP {'k': 2} AS m, 'b'::ENUM('a', 'b') AS e, 255::UTINYINT AS ut,
      '2024-01-01 00:00:00.123456789'::TIMESTAMP_NS AS ns, 12345678901234567890123::BIGNUM AS bn`);
    const shape = await source.describe({ kind: 'table', table: { schema: 'raw', name: 'native' } });
    expect(shape.columns.map((c) => c.type)).toEqual([
      { kind: 'decimal', precision: 39, scale: 0 }, { kind: 'decimal', precision: 20, scale: 0 }, { kind: 'json' }, { kind: 'json' }, { kind: 'json' },
      { kind: 'string' }, { kind: 'int16' }, { kind: 'string' }, { kind: 'decimal' },
    ]);
    expect((await readAll('native')).rows).toEqual([
      ['170141183460469231731687303715884105727', '18446744073709551615', '[1,null,3]', '{"a":1.5,"b":"x"}', '{"k":2}', 'b', 255, '2024-01-01 00:00:00.123456789', '12345678901234567890123'],
    ]);
  });

  it('discovers tables with keys, without Ferry tables', async () => {
    const streams = await source.discover();
    const names = streams.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['raw.kinds', 'raw.merged']));
    expect(names.some((n) => n.includes('_ferry'))).toBe(false);
    expect(streams.find((s) => s.name === 'raw.merged')?.primaryKey).toEqual(['region', 'id']);
    expect(streams.find((s) => s.name === 'raw.kinds')?.columns.find((c) => c.name === 'd')?.type).toEqual({ kind: 'decimal' });
  });

  it('reads incrementally from an inclusive bound, with NULL cursors on request, and counts', async () => {
    const target = { kind: 'table' as const, table: { schema: 'raw', name: 'kinds' } };
    const cursor = { column: 'ts', type: { kind: 'timestamp' as const }, from: '2000-01-01T00:00:00.1', includeNulls: false };
    expect(byId((await readAll('kinds', { columns: ['id'], cursor })).rows)).toEqual([[2n], [3n], [4n]]);
    expect(byId((await readAll('kinds', { columns: ['id'], cursor: { ...cursor, includeNulls: true } })).rows)).toEqual([[2n], [3n], [4n], [5n]]);
    const big = { column: 'i64', type: { kind: 'int64' as const }, from: 9223372036854775807n, includeNulls: false };
    expect((await readAll('kinds', { columns: ['id', 'i64'], cursor: big })).rows).toEqual([[2n, 9223372036854775807n]]);
    const dec = { column: 'd38', type: { kind: 'decimal' as const, precision: 38, scale: 10 }, from: '0.0000000000', includeNulls: false };
    expect(byId((await readAll('kinds', { columns: ['id'], cursor: dec, where: 'id < 10' })).rows)).toEqual([[2n], [3n]]);
    expect(await source.count({ stream: 'kinds', target, cursor, batchSize: 10 })).toBe(3);
    expect(source.readSql({ stream: 'kinds', target, columns: ['id'], cursor, batchSize: 10 })).toMatch(/"ts" >= \$1/);
  });

  it('stops reading when the signal aborts', async () => {
    const controller = new AbortController();
    let batches = 0;
    const reading = (async () => {
      for await (const _ of source.read({ stream: 'many', target: { kind: 'table', table: { schema: 'raw', name: 'many' } }, batchSize: 2048 }, controller.signal)) {
        batches++;
        if (batches === 3) controller.abort();
      }
    })();
    await expect(reading).rejects.toThrow(/cancelled/);
    expect(batches).toBe(3);
  });

  it('shares one instance per file and closes it with its last user', async () => {
    const config = duckdbConnector.configSchema.parse({ path: 'wh/shared.duckdb' });
    const a = duckdbConnector.createDestination?.(config, ctx) as DuckdbDestination;
    const b = duckdbConnector.createSource?.(config, ctx) as DuckdbSource;
    const cols: Column[] = [{ name: 'x', type: { kind: 'int32' }, nullable: true }];
    const writer = await a.open({ ...request('t', 'replace', cols), target: { name: 't' } }, never);
    await writer.write({ columns: cols, rows: [[1]] });
    await writer.commit(undefined);
    expect((await b.describe({ kind: 'table', table: { name: 't' } })).columns.length).toBe(1);
    await a.close();
    await b.close();
    const instance = await DuckDBInstance.create(join(dir, 'wh/shared.duckdb'));
    const conn = await instance.connect();
    expect((await conn.runAndReadAll('SELECT x FROM main.t')).getRows()).toEqual([[1]]);
    conn.closeSync();
    instance.closeSync();
  });
});
