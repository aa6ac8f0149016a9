import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBatches, NEVER as never, openRequest, readRows, sortRows } from '../../../test/conformance/table-io.js';
import { EVERY_KIND_BATCH, EVERY_KIND_COLUMNS, MANY_COLUMNS, manyRows } from '../../../test/support/every-kind.js';
import type { ConnectorContext, OpenRequest, ReadRequest, WriteMode } from '../../core/connector.js';
import { DataError } from '../../core/errors.js';
import type { Batch, Column, Row } from '../../core/schema.js';
import type { DuckdbDestination } from './destination.js';
import { duckdbConnector } from './index.js';
import { acquireInstance } from './instance-cache.js';
import type { DuckdbSource } from './source.js';

/**
 * What only DuckDB does: native types, -0.0/BC/infinite values and range
 * errors, DuckDB-only source types, parallel loads, the instance cache. The
 * behaviour every destination shares (write modes, merge, abort, checkpoints,
 * schema changes, value round trips) is in test/conformance.
 */
const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
let dir: string;
let ctx: ConnectorContext;
let destination: DuckdbDestination;
let source: DuckdbSource;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-duckdb-'));
  ctx = { connection: 'duck', projectDir: dir, logger };
  const config = duckdbConnector.configSchema.parse({ path: 'wh/test.duckdb', schema: 'raw' });
  await duckdbConnector.load?.();
  destination = duckdbConnector.createDestination?.(config, ctx) as DuckdbDestination;
  source = duckdbConnector.createSource?.(config, ctx) as DuckdbSource;
  await loadBatches(destination, request('kinds', 'replace', EVERY_KIND_COLUMNS), [EVERY_KIND_BATCH]);
});

afterAll(async () => {
  await source?.close();
  await destination?.close();
  await rm(dir, { recursive: true, force: true });
});

function request(table: string, write: WriteMode, columns: readonly Column[], extra: Partial<OpenRequest> = {}): OpenRequest {
  return openRequest({ schema: 'raw', name: table }, write, columns, extra);
}

function readAll(table: string, extra: Partial<ReadRequest> = {}): Promise<Batch> {
  return readRows(source, [{ kind: 'table', table: { schema: 'raw', name: table } }], extra);
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

const byId = (rows: readonly Row[]): Row[] => sortRows({ columns: [EVERY_KIND_COLUMNS[0] as Column], rows });

describe('duckdb storage', () => {
  it('stores native DuckDB types (exact decimals up to 38 digits, VARCHAR beyond)', async () => {
    const types = await sql(`SELECT typeof(b), typeof(i16), typeof(i64), typeof(f32), typeof(d38), typeof(d), typeof("by"), typeof(j), typeof(u), typeof(dt), typeof(ttz), typeof(ts), typeof(tstz), typeof(iv) FROM raw.kinds LIMIT 1`);
    expect(types[0]).toEqual(['BOOLEAN', 'SMALLINT', 'BIGINT', 'FLOAT', 'DECIMAL(38,10)', 'VARCHAR', 'BLOB', 'JSON', 'UUID', 'DATE', 'TIME WITH TIME ZONE', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'INTERVAL']);
    expect(await sql(`SELECT CAST(d38 AS VARCHAR), CAST(ts AS VARCHAR), CAST(tstz AS VARCHAR), isnan(f32) FROM raw.kinds WHERE id = 2`)).toEqual([
      ['9999999999999999999999999999.9999999999', '9999-12-31 23:59:59.999999', '12345-06-07 08:09:10.5+00', true],
    ]);
  });

  it('reads back declared types, string lengths dropped (VARCHAR has none)', async () => {
    const expected = EVERY_KIND_COLUMNS.map((c) => (c.type.kind === 'string' ? { kind: 'string' } : c.type));
    expect((await readAll('kinds')).columns.map((c) => c.type)).toEqual(expected);
  });

  it('keeps -0.0, BC timestamps and infinities; refuses values outside DuckDB ranges', async () => {
    const cols: Column[] = [EVERY_KIND_COLUMNS[0] as Column, EVERY_KIND_COLUMNS[6] as Column, EVERY_KIND_COLUMNS[14] as Column, EVERY_KIND_COLUMNS[17] as Column];
    const rows: Row[] = [[1n, -0, 'infinity', '0044-03-15T12:00:00.5 BC'], [2n, 1, '-infinity', 'infinity'], [3n, 2, '0001-12-31 BC', '-infinity']];
    await loadBatches(destination, request('edges', 'replace', cols), [{ columns: cols, rows }]);
    const back = byId((await readAll('edges')).rows);
    expect(back).toEqual(rows);
    expect(Object.is(back[0]?.[1], -0)).toBe(true);
    const writer = await destination.open(request('edges', 'append', cols), never);
    await expect(writer.write({ columns: cols, rows: [[4n, 0, '2024-01-01', '300000-01-01T00:00:00']] })).rejects.toBeInstanceOf(DataError);
    await writer.abort();
    expect((await readAll('edges')).rows.length).toBe(3);
  });

  it('loads streams in parallel into one database', async () => {
    const loads = ['p1', 'p2', 'p3'].map((t) => loadBatches(destination, request(t, 'merge', MANY_COLUMNS, { primaryKey: ['id'] }), [{ columns: MANY_COLUMNS, rows: manyRows(5000) }], { sync: 's', stream: t, runId: 'r', seq: 1, state: {} }));
    expect(await Promise.all(loads)).toEqual([5000, 5000, 5000]);
    expect(await sql(`SELECT count(*) FROM raw.p1 UNION ALL SELECT count(*) FROM raw.p3`)).toEqual([[5000n], [5000n]]);
  });

  it('appends 1M rows (rows/s printed)', async () => {
    const batches = Array.from({ length: 100 }, (_, i) => ({ columns: MANY_COLUMNS, rows: manyRows(10_000, i * 10_000) }));
    const started = performance.now();
    expect(await loadBatches(destination, request('million', 'append', MANY_COLUMNS), batches)).toBe(1_000_000);
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
    expect(names).toEqual(expect.arrayContaining(['raw.kinds', 'raw.p1']));
    expect(names.some((n) => n.includes('_ferry'))).toBe(false);
    expect(streams.find((s) => s.name === 'raw.p1')?.primaryKey).toEqual(['id']);
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
      for await (const _ of source.read({ stream: 'million', target: { kind: 'table', table: { schema: 'raw', name: 'million' } }, batchSize: 2048 }, controller.signal)) {
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

describe('duckdb without a database file yet', () => {
  it('check() and readCheckpoint() do not create the file; the first write does', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'ferry-duckdb-new-'));
    const context: ConnectorContext = { connection: 'fresh', projectDir: folder, logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } };
    const config = duckdbConnector.configSchema.parse({ path: 'nested/new.duckdb' });
    try {
      await duckdbConnector.check(config, context);
      const destination = duckdbConnector.createDestination?.(config, context);
      expect(await destination?.readCheckpoint('s', 'x')).toBeUndefined();
      await expect(access(join(folder, 'nested', 'new.duckdb'))).rejects.toThrow('ENOENT');
      const columns: Column[] = [{ name: 'id', type: { kind: 'int64' }, nullable: false }];
      const writer = await destination?.open({ sync: 's', stream: 'x', runId: 'r', target: { name: 'x' }, columns, write: 'replace', primaryKey: [], schemaChange: 'evolve' }, never);
      await writer?.write({ columns, rows: [[1n]] });
      await writer?.commit(undefined);
      await destination?.close();
      await expect(access(join(folder, 'nested', 'new.duckdb'))).resolves.toBeUndefined();
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
