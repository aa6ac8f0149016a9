import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBatches, NEVER as never, openRequest, readRows } from '../../../test/conformance/table-io.js';
import { EVERY_KIND_BATCH, EVERY_KIND_COLUMNS, MANY_COLUMNS, manyRows } from '../../../test/support/every-kind.js';
import type { ConnectorContext, ReadRequest } from '../../core/connector.js';
import { DataError } from '../../core/errors.js';
import type { Batch, Column, Row } from '../../core/schema.js';
import { sqliteConnector } from './index.js';
import type { SqliteDestination } from './destination.js';
import type { SqliteSource } from './source.js';

/**
 * What only SQLite does: storage classes, declared-type affinity, hand-made
 * tables, rowid errors. The behaviour every destination shares (write modes,
 * merge, abort, checkpoints, schema changes, value round trips) is in
 * test/conformance.
 */
const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
let dir: string;
let destination: SqliteDestination;
let source: SqliteSource;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-sqlite-'));
  const ctx: ConnectorContext = { connection: 'lite', projectDir: dir, logger };
  const config = sqliteConnector.configSchema.parse({ path: 'out/test.db' });
  destination = sqliteConnector.createDestination?.(config, ctx) as SqliteDestination;
  source = sqliteConnector.createSource?.(config, ctx) as SqliteSource;
  await loadBatches(destination, openRequest({ name: 'kinds' }, 'replace', EVERY_KIND_COLUMNS), [EVERY_KIND_BATCH]);
});

afterAll(async () => {
  await source?.close();
  await destination?.close();
  await rm(dir, { recursive: true, force: true });
});

function readAll(table: string, extra: Partial<ReadRequest> = {}): Promise<Batch> {
  return readRows(source, [{ kind: 'table', table: { name: table } }], extra);
}

function raw(sql: string): unknown[][] {
  const db = new Database(join(dir, 'out/test.db'), { readonly: true });
  db.defaultSafeIntegers(true);
  try {
    return db.prepare(sql).raw(true).all() as unknown[][];
  } finally {
    db.close();
  }
}

describe('sqlite storage', () => {
  it('stores values in storage classes that keep them exact', () => {
    const types = raw(`SELECT typeof(b), typeof(i64), typeof(f64), typeof(d38), typeof(d), typeof(by), typeof(j), typeof(ts) FROM kinds WHERE id = 1`)[0];
    expect(types).toEqual(['integer', 'integer', 'real', 'text', 'text', 'blob', 'text', 'text']);
    expect(raw(`SELECT f32, typeof(f32), f64 FROM kinds WHERE id = 2`)[0]).toEqual(['NaN', 'text', Infinity]);
    const declared = raw(`SELECT name, type FROM pragma_table_info('kinds') WHERE name IN ('d38', 'j', 'tstz', 'v')`);
    expect(Object.fromEntries(declared)).toEqual({ d38: 'DECIMAL_TEXT(38,10)', v: 'VARCHAR(20)', j: 'JSON_TEXT', tstz: 'TIMESTAMPTZ_TEXT' });
  });

  it('reads back declared types exactly, string lengths included', async () => {
    expect((await readAll('kinds')).columns.map((c) => c.type)).toEqual(EVERY_KIND_COLUMNS.map((c) => c.type));
  });

  it('documents the one lossy float: SQLite has no negative zero', async () => {
    const columns = [EVERY_KIND_COLUMNS[0] as Column, EVERY_KIND_COLUMNS[6] as Column];
    await loadBatches(destination, openRequest({ name: 'negzero' }, 'replace', columns), [{ columns, rows: [[1n, -0]] }]);
    expect((await readAll('negzero')).rows).toEqual([[1n, 0]]);
  });

  it('appends 1M rows (rows/s printed)', async () => {
    const batches = Array.from({ length: 100 }, (_, i) => ({ columns: MANY_COLUMNS, rows: manyRows(10_000, i * 10_000) }));
    const started = performance.now();
    expect(await loadBatches(destination, openRequest({ name: 'million' }, 'append', MANY_COLUMNS), batches)).toBe(1_000_000);
    const seconds = (performance.now() - started) / 1000;
    console.log(`sqlite: 1M-row append in ${seconds.toFixed(2)} s = ${Math.round(1_000_000 / seconds)} rows/s`);
    expect(raw('SELECT count(*), sum(id) FROM million')[0]).toEqual([1_000_000n, 499_999_500_000n]);
  }, 300_000);
});

describe('sqlite source', () => {
  let db: Database.Database;
  beforeAll(() => {
    db = new Database(join(dir, 'out/test.db'));
    db.exec(`CREATE TABLE hand (id INTEGER PRIMARY KEY, price DECIMAL(10,2), amount NUMERIC, at DATETIME, born DATE, flag BOOLEAN, small INT, data JSON, raw, name VARCHAR(5));
      INSERT INTO hand VALUES (1, '12.30', 7, '2024-01-02 03:04:05.123', '2024-01-02', 1, 5, '{"a": [1,2]}', 'x', 'abc'),
        (2, 5, '1.5e3', '2024-01-02 03:04:00', '2024-01-03', 0, -5, '12', 42, NULL),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
      CREATE VIEW hand_view AS SELECT id, price FROM hand;
      CREATE TABLE keyed (a TEXT, b INTEGER, c REAL, PRIMARY KEY (b, a)) WITHOUT ROWID;`);
  });
  afterAll(() => db.close());

  it('discovers tables and views with declared types, keys in key order, without Ferry tables', async () => {
    const streams = await source.discover();
    const names = streams.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['hand', 'hand_view', 'keyed', 'kinds']));
    expect(names.some((n) => n.startsWith('_ferry'))).toBe(false);
    const hand = streams.find((s) => s.name === 'hand');
    expect(hand?.primaryKey).toEqual(['id']);
    expect(hand?.columns.map((c) => [c.name, c.type])).toEqual([
      ['id', { kind: 'int64' }], ['price', { kind: 'decimal', precision: 10, scale: 2 }], ['amount', { kind: 'decimal' }],
      ['at', { kind: 'timestamp' }], ['born', { kind: 'date' }], ['flag', { kind: 'boolean' }], ['small', { kind: 'int32' }],
      ['data', { kind: 'json' }], ['raw', { kind: 'string' }], ['name', { kind: 'string', length: 5 }],
    ]);
    expect(streams.find((s) => s.name === 'keyed')?.primaryKey).toEqual(['b', 'a']);
  });

  it('reads hand-made tables: NUMERIC affinity decimals at their scale, text timestamps, untyped values as text', async () => {
    expect((await readAll('hand')).rows).toEqual([
      [1n, '12.30', '7', '2024-01-02T03:04:05.123', '2024-01-02', true, 5, '{"a": [1,2]}', 'x', 'abc'],
      [2n, '5.00', '1500', '2024-01-02T03:04:00', '2024-01-03', false, -5, '12', '42', null],
      [3n, null, null, null, null, null, null, null, null, null],
    ]);
    expect(raw(`SELECT typeof(price), typeof(data) FROM hand WHERE id = 1`)[0]).toEqual(['real', 'text']);
  });

  it('describes a query and reads it with a where clause and selected columns', async () => {
    const query = { kind: 'query' as const, sql: 'SELECT id, price FROM hand WHERE id < 3' };
    expect((await source.describe(query)).columns.map((c) => c.type.kind)).toEqual(['int64', 'decimal']);
    const rows: Row[] = [];
    for await (const b of source.read({ stream: 'q', target: query, where: 'id > 1', batchSize: 10 }, never)) rows.push(...b.rows);
    expect(rows).toEqual([[2n, '5.00']]);
    expect(await source.count({ stream: 'v', target: { kind: 'table', table: { name: 'hand_view' } }, columns: ['price'], batchSize: 10 })).toBe(3);
  });

  it('reads incrementally from an inclusive bound, with NULL cursors on request', async () => {
    const cursor = { column: 'at', type: { kind: 'timestamp' as const }, from: '2024-01-02T03:04:00', includeNulls: false };
    expect((await readAll('hand', { columns: ['id', 'at'], cursor })).rows).toEqual([[1n, '2024-01-02T03:04:05.123'], [2n, '2024-01-02T03:04:00']]);
    expect((await readAll('hand', { columns: ['id'], cursor: { ...cursor, from: '2024-01-02T03:04:01', includeNulls: true } })).rows).toEqual([[1n], [3n]]);
    const big = { column: 'i64', type: { kind: 'int64' as const }, from: 9223372036854775807n, includeNulls: false };
    expect((await readAll('kinds', { columns: ['id', 'i64'], cursor: big })).rows).toEqual([[2n, 9223372036854775807n]]);
    expect(source.readSql({ stream: 'hand', target: { kind: 'table', table: { name: 'hand' } }, columns: ['id'], cursor, batchSize: 1 })).toContain('>= ?');
  });

  it('refuses values that do not fit the declared type, naming table, column and rowid', async () => {
    db.exec(`CREATE TABLE bad (id INTEGER PRIMARY KEY, at DATETIME, price DECIMAL(30,2), small INT, zoned TIMESTAMP);
      INSERT INTO bad VALUES (1, 'not a time', NULL, NULL, NULL), (2, NULL, 0.1234567890123456789, NULL, NULL), (3, NULL, NULL, 9000000000, NULL), (4, NULL, NULL, NULL, '2024-01-01 00:00:00+02:00');`);
    const cases: [string, RegExp][] = [
      ['at', /bad\.at at rowid 1/],
      ['price', /bad\.price at rowid 2/],
      ['small', /bad\.small at rowid 3/],
      ['zoned', /bad\.zoned at rowid 4.*zone/],
    ];
    for (const [column, message] of cases) {
      const attempt = readAll('bad', { columns: ['id', column] });
      await expect(attempt).rejects.toBeInstanceOf(DataError);
      await expect(readAll('bad', { columns: ['id', column] })).rejects.toThrow(message);
    }
  });

  it('stops reading when the signal aborts', async () => {
    const controller = new AbortController();
    let batches = 0;
    const reading = (async () => {
      for await (const _ of source.read({ stream: 'million', target: { kind: 'table', table: { name: 'million' } }, batchSize: 1000 }, controller.signal)) {
        batches++;
        if (batches === 3) controller.abort();
      }
    })();
    await expect(reading).rejects.toThrow(/cancelled/);
    expect(batches).toBe(3);
  });
});
