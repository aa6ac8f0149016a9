import mysql from 'mysql2/promise';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Project, SyncConfig } from '../../config/project.js';
import { ConfigError } from '../../core/errors.js';
import type { Column } from '../../core/schema.js';
import { runSync } from '../../engine/run-sync.js';
import { openStateStore } from '../../state/index.js';
import { createMysqlTestDatabase, type MysqlTestDatabase } from '../../../test/support/mysql.js';
import { builtinConnectors } from '../registry.js';
import { SESSION_SQL } from './config.js';
import { mysqlConnector } from './index.js';
import type { MysqlSource } from './source.js';
import { MysqlStreamWriter } from './stream-writer.js';
import { prepareWriter } from './writer-setup.js';
import { loadRows, mysqlDestination, mysqlSource, readAll, tableRead, testContext } from './test-support/mysql-test-kit.js';

let db: MysqlTestDatabase;
let target: MysqlTestDatabase;
let source: MysqlSource;
const ODD = 'odd `name`.with "dots" ünï 表';

beforeAll(async () => {
  db = await createMysqlTestDatabase('source');
  target = await createMysqlTestDatabase('sourcedst');
  await db.query(
    `CREATE TABLE orders (id BIGINT UNSIGNED PRIMARY KEY, amount DECIMAL(65,30) NOT NULL, status ENUM('new','it''s, done','a\\\\b') NULL,
      tags SET('x','y;z') NULL, doc JSON NULL, flags BIT(12) NULL, yes BIT(1) NULL, f FLOAT NULL, d DOUBLE NULL, y YEAR NULL,
      t TIME(6) NULL, updated DATETIME(6) NULL, seen TIMESTAMP(3) NULL, raw VARBINARY(16) NULL, note TEXT CHARACTER SET latin1 NULL)`,
  );
  await db.query(`INSERT INTO orders VALUES
    (18446744073709551615, '12345678901234567890123456789012345.123456789012345678901234567890', 'it''s, done', 'x,y;z', '{"big": 123456789012345678901234567890, "f": 1.000}', b'101000000001', b'1', 3.40282e38, 0.1, 2155, '23:59:59.999999', '2024-02-29 12:34:56.123456', '2038-01-19 03:14:07.999', X'005C090A0D4E', 'café'),
    (2, '-0.000000000000000000000000000001', 'a\\\\b', '', '[]', b'0', b'0', -1.5, -2.5e-300, 1901, '00:00:00', '2024-03-01 00:00:00', '1970-01-01 00:00:01', X'', NULL),
    (3, '0', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
  await db.query(`CREATE TABLE \`${ODD.replaceAll('`', '``')}\` (\`k.1\` INT PRIMARY KEY, \`v\`\`\` VARCHAR(10))`);
  await db.query(`INSERT INTO \`${ODD.replaceAll('`', '``')}\` VALUES (1, 'one'), (2, 'two')`);
  source = mysqlSource(db.url);
});

afterAll(async () => {
  await source?.close();
  await db?.drop();
  await target?.drop();
});

describe('mysql source', () => {
  it('discovers tables of every database with kinds, keys and native types', async () => {
    const orders = (await source.discover()).find((t) => t.name === `${db.name}.orders`);
    expect(orders?.primaryKey).toEqual(['id']);
    expect(orders?.columns.map((c) => [c.name, c.type.kind, c.nullable])).toEqual([
      ['id', 'decimal', false], ['amount', 'decimal', false], ['status', 'string', true], ['tags', 'string', true], ['doc', 'json', true],
      ['flags', 'bytes', true], ['yes', 'boolean', true], ['f', 'float32', true], ['d', 'float64', true], ['y', 'int16', true],
      ['t', 'time', true], ['updated', 'timestamp', true], ['seen', 'timestamptz', true], ['raw', 'bytes', true], ['note', 'string', true],
    ]);
    expect(orders?.columns[0]).toMatchObject({ type: { precision: 20, scale: 0 }, sourceType: 'bigint(20) unsigned', sourceEngine: 'mysql' });
    expect(orders?.columns[1]?.type).toEqual({ kind: 'decimal', precision: 65, scale: 30 });
  });

  it('reads every value exactly: unsigned bigint, DECIMAL(65,30), ENUM/SET labels, JSON text, BIT, FLOAT bits, fractions, bytes, latin1', async () => {
    const { rows } = await readAll(source, tableRead(db.name, 'orders'));
    expect(rows[2]).toEqual(['18446744073709551615', '12345678901234567890123456789012345.123456789012345678901234567890', "it's, done", 'x,y;z',
      '{"big": 123456789012345678901234567890, "f": 1.000}', new Uint8Array([0x0a, 0x01]), true, 3.40282e38, 0.1, 2155,
      '23:59:59.999999', '2024-02-29T12:34:56.123456', '2038-01-19T03:14:07.999Z', new Uint8Array([0, 0x5c, 9, 10, 13, 0x4e]), 'café']);
    expect(rows[0]).toEqual(['2', '-0.000000000000000000000000000001', 'a\\b', '', '[]', new Uint8Array([0, 0]), false, -1.5, -2.5e-300, 1901,
      '00:00:00', '2024-03-01T00:00:00', '1970-01-01T00:00:01Z', new Uint8Array([]), null]);
    expect(rows[1]).toEqual(['3', '0.000000000000000000000000000000', ...Array.from({ length: 13 }, () => null)]);
  });

  it('applies where and an inclusive cursor with exact literals, counts what it reads, and shows the SQL', async () => {
    const cursor = { column: 'id', type: { kind: 'decimal' as const, precision: 20, scale: 0 }, from: '3', includeNulls: false };
    const request = tableRead(db.name, 'orders', { columns: ['id', 'f'], cursor, where: 'amount >= 0' });
    expect((await readAll(source, request)).rows).toEqual([['3', null], ['18446744073709551615', 3.40282e38]]);
    expect(await source.count(request)).toBe(2);
    expect(source.readSql(request)).toBe(`SELECT \`id\`, \`f\` FROM \`${db.name}\`.\`orders\` WHERE (amount >= 0) AND \`id\` >= 3`);
    const byTime = tableRead(db.name, 'orders', { columns: ['id'], cursor: { column: 'updated', type: { kind: 'timestamp' }, from: '2024-02-29T12:34:56.123457', includeNulls: true } });
    expect((await readAll(source, byTime)).rows).toEqual([['2'], ['3']]);
  });

  it("estimates a table read's rows from EXPLAIN without reading them (queries: no estimate)", async () => {
    const whole = await source.estimateRows(tableRead(db.name, 'orders'));
    expect(whole).toBeGreaterThanOrEqual(1);
    expect(whole).toBeLessThanOrEqual(10);
    const cursor = { column: 'id', type: { kind: 'decimal' as const, precision: 20, scale: 0 }, from: '3', includeNulls: false };
    // A range on the primary key: the estimate comes from the index.
    expect(await source.estimateRows(tableRead(db.name, 'orders', { cursor }))).toBeLessThanOrEqual(whole ?? 0);
    expect(await source.estimateRows({ stream: 'q', target: { kind: 'query', sql: 'SELECT 1 AS x' }, batchSize: 10 })).toBeUndefined();
  });

  it('reads a custom query with its own column types, and tables with odd names', async () => {
    const query = { kind: 'query' as const, sql: `SELECT id, amount * 2 AS twice, CAST(y AS CHAR) AS y_text FROM ${db.name}.orders WHERE id < 10 -- trailing comment` };
    const read = await readAll(source, { stream: 'q', target: query, batchSize: 1 });
    expect(read.columns.map((c: Column) => c.type.kind)).toEqual(['decimal', 'decimal', 'string']);
    expect(read.rows).toEqual([['2', '-0.000000000000000000000000000002', '1901'], ['3', '0.000000000000000000000000000000', null]]);
    const odd = await readAll(source, tableRead(db.name, ODD));
    expect(odd.columns.map((c) => c.name)).toEqual(['k.1', 'v`']);
    expect(odd.rows).toEqual([[1, 'one'], [2, 'two']]);
    const missing = await source.describe({ kind: 'table', table: { schema: db.name, name: 'nope' } }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ConfigError);
  });

  it('streams 200k rows in batches with a flat heap', async () => {
    await db.query('CREATE TABLE big (id INT PRIMARY KEY, pad VARCHAR(300))');
    await db.query("INSERT INTO big SELECT seq, REPEAT(CHAR(65 + seq % 26), 300) FROM seq_1_to_200000");
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    const base = process.memoryUsage().heapUsed;
    let peak = 0;
    let rows = 0;
    let batches = 0;
    for await (const batch of source.read(tableRead(db.name, 'big', { batchSize: 5000 }), new AbortController().signal)) {
      rows += batch.rows.length;
      if (++batches % 8 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - base);
      }
    }
    expect(rows).toBe(200_000);
    // The table is ~60 MB of text (~120 MB as JS strings); a read that buffered it would show that.
    expect(peak).toBeLessThan(25 * 1024 * 1024);
  }, 120_000);
});

describe('mysql destination', () => {
  it('loads values LOAD DATA must escape (tabs, newlines, backslashes, the text \\N, NUL, CR, raw bytes) into odd table and column names', async () => {
    const destination = mysqlDestination(target.url);
    const columns: Column[] = [
      { name: 'id', type: { kind: 'int32' }, nullable: false },
      { name: 's.`x`', type: { kind: 'string' }, nullable: true },
      { name: 'b "ü"', type: { kind: 'bytes' }, nullable: true },
    ];
    const rows = [
      [1, '\\N', new Uint8Array([0x5c, 0x4e])],
      [2, 'a\tb\nc\r\n\\\0end', new Uint8Array([0, 9, 10, 13, 0x5c, 0xff, 0xfe])],
      [3, '', new Uint8Array([])],
      [4, null, null],
      [5, 'NULL', new Uint8Array([0x4e, 0x55, 0x4c, 0x4c])],
    ];
    try {
      const name = 'esc `odd`.name "q" ü';
      expect(await loadRows(destination, { target: { schema: target.name, name }, columns, write: 'replace' }, rows)).toBe(5);
      const back = await readAll(source, tableRead(target.name, name));
      expect(back.columns.map((c) => c.name)).toEqual(columns.map((c) => c.name));
      expect(back.rows).toEqual(rows);
      const raw = await target.query<{ h: string }>('SELECT HEX(`s.``x```) AS h FROM `esc ``odd``.name "q" ü` WHERE id = 1');
      expect(raw[0]?.h).toBe('5C4E');
    } finally {
      await destination.close();
    }
  });

  it('falls back to multi-row INSERTs when the server refuses LOAD DATA LOCAL (bulk_load: auto), and fails with load_data', async () => {
    const columns: Column[] = [{ name: 'id', type: { kind: 'int32' }, nullable: false }, { name: 's', type: { kind: 'string' }, nullable: true }];
    const request = { sync: 's', stream: 'fallback', runId: 'r', target: { schema: target.name, name: 'fallback' }, columns, write: 'append' as const, primaryKey: [], schemaChange: 'evolve' as const };
    // A session that does not announce LOCAL_FILES: the server refuses LOAD DATA LOCAL on it.
    const refusing = async () => {
      const connection = await mysql.createConnection({ uri: target.url, flags: ['-LOCAL_FILES'] });
      await connection.query(SESSION_SQL);
      return connection;
    };
    const auto = mysqlConnector.configSchema.parse({ url: target.url });
    const setup = await prepareWriter(await refusing(), request, auto, testContext);
    expect(setup.loadData).toBe(false);
    const writer = new MysqlStreamWriter(setup, () => undefined);
    await writer.write({ columns, rows: [[1, 'tab\there'], [2, null]] });
    expect((await writer.commit(undefined)).rows).toBe(2);
    expect((await readAll(source, tableRead(target.name, 'fallback'))).rows).toEqual([[1, 'tab\there'], [2, null]]);
    const strict = mysqlConnector.configSchema.parse({ url: target.url, bulk_load: 'load_data' });
    const connection = await refusing();
    await expect(prepareWriter(connection, request, strict, testContext)).rejects.toThrow(/bulk_load: load_data, but the server refused LOAD DATA LOCAL/);
    const [left] = await connection.query("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '\\_ferry\\_stage%'");
    expect(left).toEqual([{ n: 0 }]);
    connection.destroy();
  });

  it('keeps native MySQL types MySQL -> MySQL (unsigned, enum, set, bit, year, decimal(65,30), timestamp(3))', async () => {
    const destination = mysqlDestination(target.url);
    try {
      const read = await readAll(source, tableRead(db.name, 'orders'));
      await loadRows(destination, { target: { schema: target.name, name: 'orders_copy' }, columns: read.columns, write: 'replace', primaryKey: ['id'] }, read.rows);
      const types = async (d: MysqlTestDatabase, table: string) =>
        (await d.query<{ t: string }>('SELECT COLUMN_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [d.name, table])).map((r) => r.t);
      expect(await types(target, 'orders_copy')).toEqual(await types(db, 'orders'));
      expect((await readAll(source, tableRead(target.name, 'orders_copy'))).rows).toEqual(read.rows);
    } finally {
      await destination.close();
    }
  });

  it('runs an incremental merge sync MySQL -> MySQL through the engine, checkpoint in the destination', async () => {
    await db.query('CREATE TABLE events (id INT PRIMARY KEY, v VARCHAR(20), at DATETIME(6) NOT NULL)');
    await db.query("INSERT INTO events VALUES (1, 'a', '2024-01-01 00:00:00.000001'), (2, 'b', '2024-01-01 00:00:00.000002')");
    const at = { file: 'syncs/s.yml', line: 1, column: 1 };
    const sync: SyncConfig = {
      name: 's', file: 'syncs/s.yml', source: 'src', destination: 'dst', tags: [], location: at,
      defaults: {}, streams: [{ name: `${db.name}.events`, enabled: true, location: at, mode: 'incremental', cursor: 'at', write: 'merge', target: `${target.name}.events` }],
    };
    const project: Project = {
      name: 'p', dir: '/tmp', state: 'sqlite::memory:', syncs: new Map([['s', sync]]), defaults: { threads: 1, batch_size: 1000 },
      connections: new Map([
        ['src', { name: 'src', type: 'mysql', settings: { url: db.url }, location: at }],
        ['dst', { name: 'dst', type: 'mariadb', settings: { url: target.url }, location: at }],
      ]),
    };
    const state = await openStateStore('sqlite::memory:', '/tmp');
    try {
      expect((await runSync({ project, state, sync: 's', registry: builtinConnectors })).status).toBe('success');
      await db.query("INSERT INTO events VALUES (3, 'c', '2024-01-01 00:00:00.000002')");
      await db.query("UPDATE events SET v = 'a2', at = '2024-01-02 00:00:00' WHERE id = 1");
      const second = await runSync({ project, state, sync: 's', registry: builtinConnectors });
      expect(second.status).toBe('success');
      expect(second.streams[0]?.rowsRead).toBe(3);
      const rows = await target.query<{ id: number; v: string; at: string }>('SELECT id, v, CAST(at AS CHAR) AS at FROM events ORDER BY id');
      expect(rows).toEqual([{ id: 1, v: 'a2', at: '2024-01-02 00:00:00.000000' }, { id: 2, v: 'b', at: '2024-01-01 00:00:00.000002' }, { id: 3, v: 'c', at: '2024-01-01 00:00:00.000002' }]);
      const checkpoint = await mysqlDestination(target.url).readCheckpoint('s', `${db.name}.events`);
      expect(checkpoint?.state.cursor).toMatchObject({ column: 'at', value: '2024-01-02T00:00:00' });
    } finally {
      await state.close();
    }
  });
});
