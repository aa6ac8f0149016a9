import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../core/checkpoint.js';
import type { ConnectorContext, OpenRequest, ReadRequest, WriteMode } from '../../core/connector.js';
import { DataError, SchemaChangeError } from '../../core/errors.js';
import type { Batch, Column, Row } from '../../core/schema.js';
import { EVERY_KIND_BATCH, EVERY_KIND_COLUMNS, EVERY_KIND_ROWS, MANY_COLUMNS, manyRows } from './every-kind.fixture.js';
import { sqliteConnector } from './index.js';
import type { SqliteDestination } from './destination.js';
import type { SqliteSource } from './source.js';

const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
let dir: string;
let ctx: ConnectorContext;
let destination: SqliteDestination;
let source: SqliteSource;
const never = new AbortController().signal;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-sqlite-'));
  ctx = { connection: 'lite', projectDir: dir, logger };
  const config = sqliteConnector.configSchema.parse({ path: 'out/test.db' });
  destination = sqliteConnector.createDestination?.(config, ctx) as SqliteDestination;
  source = sqliteConnector.createSource?.(config, ctx) as SqliteSource;
});

afterAll(async () => {
  await source?.close();
  await destination?.close();
  await rm(dir, { recursive: true, force: true });
});

function request(table: string, write: WriteMode, columns: readonly Column[], extra: Partial<OpenRequest> = {}): OpenRequest {
  return { sync: 's', stream: table, runId: 'r1', target: { name: table }, columns, write, primaryKey: [], schemaChange: 'evolve', ...extra };
}

async function load(open: OpenRequest, batches: readonly Batch[], checkpoint?: Checkpoint): Promise<number> {
  const writer = await destination.open(open, never);
  for (const batch of batches) await writer.write(batch);
  return (await writer.commit(checkpoint)).rows;
}

async function readAll(table: string, extra: Partial<ReadRequest> = {}): Promise<Batch> {
  const rows: Row[] = [];
  let columns: readonly Column[] = [];
  for await (const batch of source.read({ stream: table, target: { kind: 'table', table: { name: table } }, batchSize: 1000, ...extra }, never)) {
    columns = batch.columns;
    rows.push(...batch.rows);
  }
  return { columns, rows };
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

const byId = (rows: readonly Row[]): Row[] => [...rows].sort((a, b) => Number((a[0] as bigint) - (b[0] as bigint)));

describe('sqlite every logical kind', () => {
  it('round-trips every kind through destination and source, typed by declared type', async () => {
    expect(await load(request('kinds', 'replace', EVERY_KIND_COLUMNS), [EVERY_KIND_BATCH])).toBe(EVERY_KIND_ROWS.length);
    const back = await readAll('kinds');
    expect(back.columns.map((c) => c.type)).toEqual(EVERY_KIND_COLUMNS.map((c) => c.type));
    expect(byId(back.rows).map((r) => r.map((v) => (v instanceof Uint8Array ? new Uint8Array(v) : v)))).toEqual(EVERY_KIND_ROWS);
  });

  it('stores values in storage classes that keep them exact', () => {
    const types = raw(`SELECT typeof(b), typeof(i64), typeof(f64), typeof(d38), typeof(d), typeof(by), typeof(j), typeof(ts) FROM kinds WHERE id = 1`)[0];
    expect(types).toEqual(['integer', 'integer', 'real', 'text', 'text', 'blob', 'text', 'text']);
    expect(raw(`SELECT f32, typeof(f32), f64 FROM kinds WHERE id = 2`)[0]).toEqual(['NaN', 'text', Infinity]);
    const declared = raw(`SELECT name, type FROM pragma_table_info('kinds') WHERE name IN ('d38', 'j', 'tstz', 'v')`);
    expect(Object.fromEntries(declared)).toEqual({ d38: 'DECIMAL_TEXT(38,10)', v: 'VARCHAR(20)', j: 'JSON_TEXT', tstz: 'TIMESTAMPTZ_TEXT' });
  });

  it('documents the one lossy float: SQLite has no negative zero', async () => {
    await load(request('negzero', 'replace', [EVERY_KIND_COLUMNS[0] as Column, EVERY_KIND_COLUMNS[6] as Column]), [{ columns: [EVERY_KIND_COLUMNS[0] as Column, EVERY_KIND_COLUMNS[6] as Column], rows: [[1n, -0]] }]);
    expect((await readAll('negzero')).rows).toEqual([[1n, 0]]);
  });

  it('round-trips all 515 naughty strings exactly', async () => {
    const strings = JSON.parse(await readFile(resolve('../shared/fixtures/naughty-strings/blns.json'), 'utf8')) as string[];
    expect(strings.length).toBe(515);
    const columns: Column[] = [{ name: 'id', type: { kind: 'int64' }, nullable: false }, { name: 'text', type: { kind: 'string' }, nullable: true }];
    await load(request('naughty', 'replace', columns), [{ columns, rows: strings.map((s, i) => [BigInt(i), s]) }]);
    expect(byId((await readAll('naughty')).rows).map((r) => r[1])).toEqual(strings);
  });
});

describe('sqlite write modes', () => {
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
  });

  it('merge into a table made by replace adds the unique key it needs', async () => {
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
    expect(raw(`SELECT name FROM sqlite_master WHERE name LIKE '\\_ferry\\_stage%' ESCAPE '\\'`)).toEqual([]);
  });

  it('commits the checkpoint with the data, and not when aborted', async () => {
    const checkpoint: Checkpoint = { sync: 's', stream: 'cp', runId: 'r7', seq: 7, state: { cursor: { column: 'id', kind: 'int32', value: '2', boundaryKeys: ['["eu",2]'] } } };
    await load(request('cp', 'append', cols), [batch([['eu', 2, null, null]])], checkpoint);
    expect(await destination.readCheckpoint('s', 'cp')).toEqual(checkpoint);
    const writer = await destination.open(request('cp', 'append', cols), never);
    await writer.write(batch([['eu', 3, null, null]]));
    await writer.abort();
    expect(await destination.readCheckpoint('s', 'cp')).toEqual(checkpoint);
    expect(await destination.readCheckpoint('s', 'other')).toBeUndefined();
  });

  it('evolves the table with new columns, or refuses them under freeze', async () => {
    const wider: Column[] = [...cols, { name: 'note', type: { kind: 'json' }, nullable: true }];
    await expect(destination.open(request('modes', 'append', wider, { schemaChange: 'freeze' }), never)).rejects.toBeInstanceOf(SchemaChangeError);
    await load(request('modes', 'append', wider), [{ columns: wider, rows: [['eu', 6, '6.00', null, '{"a":1}']] }]);
    expect(sorted((await readAll('modes')).rows)).toEqual([['eu', 6, '6.00', null, '{"a":1}'], ['us', 4, '4.00', null, null], ['us', 5, '5.00', null, null]]);
  });

  it('stages 100k rows in flat batches', async () => {
    const batches = Array.from({ length: 10 }, (_, i) => ({ columns: MANY_COLUMNS, rows: manyRows(10_000, i * 10_000) }));
    expect(await load(request('many', 'replace', MANY_COLUMNS), batches)).toBe(100_000);
    const back = await readAll('many', { batchSize: 7000 });
    expect(back.rows.length).toBe(100_000);
    expect(back.rows[99_999]).toEqual(manyRows(1, 99_999)[0]);
  });

  it('appends 1M rows (rows/s printed)', async () => {
    const batches = Array.from({ length: 100 }, (_, i) => ({ columns: MANY_COLUMNS, rows: manyRows(10_000, i * 10_000) }));
    const started = performance.now();
    const writer = await destination.open(request('million', 'append', MANY_COLUMNS), never);
    for (const batch of batches) await writer.write(batch);
    expect((await writer.commit(undefined)).rows).toBe(1_000_000);
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
      for await (const _ of source.read({ stream: 'many', target: { kind: 'table', table: { name: 'many' } }, batchSize: 1000 }, controller.signal)) {
        batches++;
        if (batches === 3) controller.abort();
      }
    })();
    await expect(reading).rejects.toThrow(/cancelled/);
    expect(batches).toBe(3);
  });
});
