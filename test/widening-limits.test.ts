import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckdbConnector } from '../src/connectors/duckdb/index.js';
import { mysqlConnector } from '../src/connectors/mysql/index.js';
import { destinationFor } from '../src/connectors/postgres/test-support/postgres-test-kit.js';
import { acquireInstance } from '../src/connectors/duckdb/instance-cache.js';
import { sqliteConnector } from '../src/connectors/sqlite/index.js';
import type { ConnectorContext, Destination, Source } from '../src/core/connector.js';
import { SchemaChangeError } from '../src/core/errors.js';
import { expandContract, resolveContract, type SchemaContractSetting } from '../src/core/schema-contract.js';
import type { Column, Row, TableRef } from '../src/core/schema.js';
import { openWithContract } from '../src/engine/contract-writer.js';
import { NEVER, openRequest, readRows, sortRows } from './conformance/table-io.js';
import { createMysqlTestDatabase, type MysqlTestDatabase } from './support/mysql.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';

/**
 * Widenings a destination cannot carry out become a `data_type` question
 * ("narrowing"), and hand-made SQLite tables keep their constraints and
 * indexes through the rebuild that widens them.
 */
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const col = (name: string, type: Column['type'], nullable = true): Column => ({ name, type, nullable });

async function load(destination: Destination, target: TableRef, columns: readonly Column[], rows: Row[], contract?: SchemaContractSetting) {
  const { writer, report } = await openWithContract({
    destination,
    request: openRequest(target, 'append', columns),
    contract: resolveContract([expandContract(contract)]),
    log: { write: () => undefined },
    signal: NEVER,
  });
  await writer.write({ columns, rows });
  await writer.commit(undefined);
  return report();
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-widening-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('DuckDB: a key column cannot be widened in place', () => {
  let destination: Destination;
  let source: Source;
  beforeAll(async () => {
    const ctx: ConnectorContext = { connection: 'wh', projectDir: dir, logger: quiet };
    const config = duckdbConnector.configSchema.parse({ path: 'limits.duckdb' });
    destination = duckdbConnector.createDestination?.(config, ctx) as Destination;
    source = duckdbConnector.createSource?.(config, ctx) as Source;
    const lease = await acquireInstance(join(dir, 'limits.duckdb'), {}, 'setup');
    const conn = await lease.instance.connect();
    await conn.run('CREATE TABLE main.keyed (id INTEGER PRIMARY KEY, amount DECIMAL(8,2))');
    await conn.run('INSERT INTO main.keyed VALUES (1, 1.5)');
    conn.closeSync();
    lease.release();
  });
  afterAll(async () => {
    await source.close();
    await destination.close();
  });

  it('refuses with "narrowing" and the reason under freeze, and discard_row keeps the rows that fit', async () => {
    const target = { schema: 'main', name: 'keyed' };
    const columns = [col('id', { kind: 'int64' }, false), col('amount', { kind: 'decimal', precision: 12, scale: 2 })];
    const refused = await load(destination, target, columns, [[2n, '2.00']]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SchemaChangeError);
    expect((refused as SchemaChangeError).message).toBe(
      'column "id" of main.keyed: source int64 does not fit target int32 (narrowing: DuckDB cannot change the type of column "id": it is part of a primary key, unique constraint or index)',
    );
    const report = await load(destination, target, columns, [[2n, '2.5'], [5_000_000_000n, '3'], [3n, '1234567.5']], { data_type: 'discard_row' });
    expect(report).toMatchObject({ rowsDiscarded: 1, columns: { id: { rows: 1, values: 0 } }, widened: ['amount: decimal(8,2) -> decimal(12,2)'] });
    const back = await readRows(source, [{ kind: 'table', table: target }]);
    expect(back.columns.map((c) => [c.name, c.type])).toEqual([['id', { kind: 'int32' }], ['amount', { kind: 'decimal', precision: 12, scale: 2 }]]);
    expect(sortRows(back)).toEqual([[1, '1.50'], [2, '2.50'], [3, '1234567.50']]);
  });
});

describe('SQLite: widening rebuilds a hand-made table with its constraints and indexes', () => {
  let destination: Destination;
  let source: Source;
  const path = () => join(dir, 'limits.db');
  beforeAll(() => {
    const db = new Database(path());
    db.exec(`CREATE TABLE orders (id integer PRIMARY KEY, qty smallint NOT NULL CHECK (qty >= 0), amount numeric(8,2), note varchar(3));
      CREATE INDEX orders_qty ON orders (qty);
      CREATE VIEW big_orders AS SELECT id, qty FROM orders WHERE qty > 100;
      CREATE TABLE odd (id integer, "amount" /* money */ numeric(8,2));
      INSERT INTO orders VALUES (1, 5, '1.5', 'abc');`);
    db.close();
    const ctx: ConnectorContext = { connection: 'lite', projectDir: dir, logger: quiet };
    const config = sqliteConnector.configSchema.parse({ path: 'limits.db' });
    destination = sqliteConnector.createDestination?.(config, ctx) as Destination;
    source = sqliteConnector.createSource?.(config, ctx) as Source;
  });
  afterAll(async () => {
    await source.close();
    await destination.close();
  });

  it('widens qty, amount and note, keeping CHECK, NOT NULL, the index and the view', async () => {
    const columns = [col('id', { kind: 'int64' }, false), col('qty', { kind: 'int64' }, false), col('amount', { kind: 'decimal', precision: 14, scale: 4 }), col('note', { kind: 'string', length: 50 })];
    const report = await load(destination, { name: 'orders' }, columns, [[2n, 70_000n, '12345678.1234', 'a longer note']]);
    expect(report?.widened).toEqual(['qty: int16 -> int64', 'amount: decimal(8,2) -> decimal(14,4)', 'note: string(3) -> string(50)']);
    const db = new Database(path(), { readonly: true });
    try {
      const sql = db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'orders'`).pluck().get() as string;
      expect(sql).toBe('CREATE TABLE "orders" (id integer PRIMARY KEY, qty BIGINT NOT NULL CHECK (qty >= 0), amount DECIMAL_TEXT(14,4), note VARCHAR(50))');
      expect(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders'`).pluck().all()).toEqual(['orders_qty']);
      expect(db.prepare('SELECT id, qty FROM big_orders').raw().all()).toEqual([[2, 70000]]);
    } finally {
      db.close();
    }
    expect(sortRows(await readRows(source, [{ kind: 'table', table: { name: 'orders' } }]))).toEqual([[1n, 5n, '1.5', 'abc'], [2n, 70_000n, '12345678.1234', 'a longer note']]);
  });

  it('refuses to guess when the declaration is not written as Ferry writes it', async () => {
    const columns = [col('id', { kind: 'int64' }), col('amount', { kind: 'decimal', precision: 12, scale: 2 })];
    const refused = await load(destination, { name: 'odd' }, columns, [[1n, '1']]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SchemaChangeError);
    expect((refused as SchemaChangeError).message).toContain('narrowing: the CREATE TABLE statement of odd does not declare column "amount" in a form Ferry can rewrite');
  });
});

describe('MySQL: widening with MODIFY COLUMN keeps NOT NULL and sees datetime(0) as whole seconds', () => {
  let db: MysqlTestDatabase;
  let destination: Destination;
  let source: Source;
  beforeAll(async () => {
    db = await createMysqlTestDatabase('widen');
    await db.query('CREATE TABLE orders (id int PRIMARY KEY, qty smallint NOT NULL, at datetime NULL)');
    await db.query("INSERT INTO orders VALUES (1, 5, '2024-01-01 10:00:00')");
    const ctx: ConnectorContext = { connection: 'my', projectDir: dir, logger: quiet };
    const config = mysqlConnector.configSchema.parse({ url: db.url });
    destination = mysqlConnector.createDestination?.(config, ctx) as Destination;
    source = mysqlConnector.createSource?.(config, ctx) as Source;
  });
  afterAll(async () => {
    await source?.close();
    await destination?.close();
    await db?.drop();
  });

  it('widens qty to bigint NOT NULL and at to datetime(6); the microseconds land', async () => {
    const columns = [col('id', { kind: 'int32' }, false), col('qty', { kind: 'int64' }), col('at', { kind: 'timestamp' })];
    const report = await load(destination, { schema: db.name, name: 'orders' }, columns, [[2, 5_000_000_000n, '2024-01-02T03:04:05.123456']]);
    expect(report?.widened).toEqual(['qty: int16 -> int64', 'at: timestamp(0) -> timestamp']);
    const types = await db.query<{ name: string; type: string; nullable: string }>(
      "SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders' ORDER BY ORDINAL_POSITION",
    );
    expect(types.map((t) => [t.name, t.type, t.nullable])).toEqual([['id', 'int(11)', 'NO'], ['qty', 'bigint(20)', 'NO'], ['at', 'datetime(6)', 'YES']]);
    expect(sortRows(await readRows(source, [{ kind: 'table', table: { schema: db.name, name: 'orders' } }]))).toEqual([
      [1, 5n, '2024-01-01T10:00:00'],
      [2, 5_000_000_000n, '2024-01-02T03:04:05.123456'],
    ]);
  });
});

describe('Postgres: a column a view uses cannot change type', () => {
  let db: TestDatabase;
  let destination: Destination;
  beforeAll(async () => {
    db = await createTestDatabase('widen');
    await db.query('CREATE TABLE public.orders (id int PRIMARY KEY, qty smallint, note varchar(5)); CREATE VIEW public.big AS SELECT id, qty FROM public.orders WHERE qty > 10');
    await db.query("INSERT INTO public.orders VALUES (1, 5, 'a')");
    destination = destinationFor(db.url);
  });
  afterAll(async () => {
    await destination?.close();
    await db?.drop();
  });

  it('refuses the viewed column as narrowing, widens the others, and discard_value keeps what fits', async () => {
    const target = { schema: 'public', name: 'orders' };
    const columns = [col('id', { kind: 'int32' }, false), col('qty', { kind: 'int32' }), col('note', { kind: 'string', length: 20 })];
    const refused = await load(destination, target, columns, [[2, 70_000, 'long note']]).catch((e: unknown) => e);
    expect((refused as SchemaChangeError).message).toBe(
      'column "qty" of public.orders: source int32 does not fit target int16 (narrowing: a view or rule uses column "qty", and Postgres cannot change the type of such a column)',
    );
    const report = await load(destination, target, columns, [[2, 70_000, 'long note'], [3, 12, 'x']], { data_type: 'discard_value' });
    expect(report).toMatchObject({ valuesDiscarded: 1, widened: ['note: string(5) -> string(20)'] });
    expect(await db.query('SELECT id, qty, note FROM public.orders ORDER BY id').then((r) => r.rows)).toEqual([
      { id: 1, qty: 5, note: 'a' },
      { id: 2, qty: null, note: 'long note' },
      { id: 3, qty: 12, note: 'x' },
    ]);
    expect(await db.query('SELECT id FROM public.big').then((r) => r.rows)).toEqual([{ id: 3 }]);
  });
});
