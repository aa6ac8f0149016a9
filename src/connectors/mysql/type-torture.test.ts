import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../../core/errors.js';
import { logicalTypeText, type Column, type Row, type StreamDescriptor } from '../../core/schema.js';
import { createMysqlTestDatabase, MYSQL_BASE, type MysqlTestDatabase } from '../../../test/support/mysql.js';
import { loadFixture, type FixtureLoad } from '../../../test/support/mysql-fixtures.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.js';
import { destinationFor as pgDestination, sourceFor as pgSource } from '../postgres/test-support/postgres-test-kit.js';
import { quoteIdent, quoteTable } from './identifiers.js';
import { comparable, expectedValue, jsonNormalized, serverExpression } from './test-support/server-text.js';
import { loadRows, mysqlDestination, mysqlSource, readAll, tableRead } from './test-support/mysql-test-kit.js';

/**
 * Every file of ../shared/fixtures/mysql-type-torture is loaded into its own
 * database (statement by statement, as `mariadb --force`), every table is
 * read through Ferry and compared value by value with what the server itself
 * prints (CAST AS CHAR, HEX for bytes), then copied MySQL -> Postgres ->
 * MySQL and compared again.
 */
const FIXTURES = resolve('../shared/fixtures/mysql-type-torture');
const FILES = readdirSync(FIXTURES).filter((f) => f.endsWith('.sql')).sort();
/** Statements MariaDB 10.11 refuses, per the fixtures' README. */
const REFUSED: Readonly<Record<string, { readonly count: number; readonly pattern: RegExp }>> = {
  json_test: { count: 15, pattern: /AS JSON\)/ },
  regression_test: { count: 1, pattern: /^CREATE FUNCTION/ },
};
/** Read settings under which every fixture value has a canonical form. */
const LENIENT = { zero_dates: 'null', time_type: 'interval' } as const;

interface Fixture {
  readonly file: string;
  readonly db: MysqlTestDatabase;
  readonly load: FixtureLoad;
  readonly extraDatabases: readonly string[];
}

const fixtures: Fixture[] = [];
let pg: TestDatabase;
let back: MysqlTestDatabase;

beforeAll(async () => {
  for (const file of FILES) {
    const stem = file.replace(/\.sql$/, '');
    const db = await createMysqlTestDatabase(`tt${fixtures.length}`);
    // Databases the scripts create by name get names of their own, so parallel runs never share them.
    const rename = new Map([['connector_test', `${db.name}_ct`], ['emptydb', `${db.name}_e`]]);
    fixtures.push({ file: stem, db, load: await loadFixture(resolve(FIXTURES, file), db.name, rename), extraDatabases: [...rename.values()] });
  }
  pg = await createTestDatabase('mytorture');
  back = await createMysqlTestDatabase('ttback');
}, 120_000);

afterAll(async () => {
  const admin = await mysql.createConnection({ uri: MYSQL_BASE });
  for (const f of fixtures) for (const extra of f.extraDatabases) await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(extra)}`);
  await admin.end();
  for (const f of fixtures) await f.db.drop();
  await back?.drop();
  await pg?.drop();
});

/** Row counts measured upstream on MariaDB 10.11 (fixtures/ROWCOUNTS.tsv), by `file/table`. */
function upstreamCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of readFileSync(resolve(FIXTURES, '../ROWCOUNTS.tsv'), 'utf8').split('\n')) {
    const [engine, dataset, database, table, rows] = line.split('\t');
    if (engine === 'mariadb10.11' && dataset === 'mysql-type-torture' && database?.startsWith('tt_') && table && rows) counts.set(`${database.slice(3)}/${table}`, Number(rows));
  }
  return counts;
}

async function tablesOf(f: Fixture, settings: Record<string, unknown> = LENIENT): Promise<StreamDescriptor[]> {
  const source = mysqlSource(f.db.url, settings);
  try {
    return (await source.discover()).filter((t) => t.table.schema === f.db.name);
  } finally {
    await source.close();
  }
}

async function serverRows(f: Fixture, table: StreamDescriptor): Promise<(string | null)[][]> {
  const connection = await mysql.createConnection({ uri: f.db.url, charset: 'utf8mb4', rowsAsArray: true });
  try {
    await connection.query("SET time_zone = '+00:00'");
    const [rows] = await connection.query(`SELECT ${table.columns.map(serverExpression).join(', ')} FROM ${quoteTable(table.table)}`);
    return rows as (string | null)[][];
  } finally {
    await connection.end();
  }
}

describe('mysql type torture', () => {
  it('loads every fixture file, failing exactly the statements MariaDB cannot run, with the upstream row counts', async () => {
    expect(fixtures.map((f) => f.file)).toHaveLength(19);
    const counts = upstreamCounts();
    let checked = 0;
    for (const f of fixtures) {
      const refused = REFUSED[f.file];
      expect(f.load.failed.length, `${f.file}: ${f.load.failed.map((x) => x.error).join('; ')}`).toBe(refused?.count ?? 0);
      for (const failure of f.load.failed) expect(failure.sql).toMatch(refused?.pattern ?? /^$/);
      for (const t of await tablesOf(f)) {
        const rows = (await f.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${quoteTable(t.table)}`))[0]?.n;
        expect(Number(rows), `${f.file}/${t.table.name}`).toBe(counts.get(`${f.file}/${t.table.name}`));
        checked++;
      }
    }
    expect(checked).toBe(43);
  });

  it('reads every table value-exact: each value equals what the server prints for it', async () => {
    let values = 0;
    for (const f of fixtures) {
      const source = mysqlSource(f.db.url, LENIENT);
      try {
        for (const table of await tablesOf(f)) {
          const read = await readAll(source, tableRead(f.db.name, table.table.name));
          const expected = (await serverRows(f, table)).map((row) => row.map((text, i) => expectedValue(table.columns[i] as Column, text)));
          const actual = read.rows.map((row) => row.map((v, i) => comparable(table.columns[i] as Column, v)));
          expect(actual, `${f.file}/${table.table.name}`).toEqual(expected);
          values += read.rows.length * table.columns.length;
        }
      } finally {
        await source.close();
      }
    }
    expect(values).toBeGreaterThan(500);
  });
});

function fixture(file: string): Fixture {
  const f = fixtures.find((x) => x.file === file);
  if (!f) throw new Error(`no fixture ${file}`);
  return f;
}

async function readTable(f: Fixture, name: string, settings: Record<string, unknown>): Promise<{ columns: readonly Column[]; rows: Row[] }> {
  const source = mysqlSource(f.db.url, settings);
  try {
    return await readAll(source, tableRead(f.db.name, name));
  } finally {
    await source.close();
  }
}

describe('mysql values other engines cannot hold', () => {
  it('zero dates fail the read by default, naming the column and the setting to change', async () => {
    const failure = await readTable(fixture('zero_date_fallback_converter'), 'dt_full', {}).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DataError);
    expect((failure as DataError).message).toContain('"d_no_default"');
    expect((failure as DataError).message).toContain("'0000-00-00'");
    expect((failure as DataError).context.hint).toContain('zero_dates');
  });

  it('zero_dates: null reads them as NULL in columns reported nullable; real dates are kept', async () => {
    const read = await readTable(fixture('zero_date_fallback_converter'), 'dt_full', { zero_dates: 'null' });
    expect(read.columns.find((c) => c.name === 'd_no_default')).toMatchObject({ type: { kind: 'date' }, nullable: true });
    expect(read.columns.find((c) => c.name === 'ts_no_default')?.type.kind).toBe('timestamptz');
    expect(read.rows[1]).toEqual([2, 'zero-date', null, null, null, null, null, null, null, null, null]);
    expect(read.rows[2]?.slice(2, 9)).toEqual(['2024-06-15', '2024-06-15', '2024-06-15', '2024-06-15T12:34:56', '2024-06-15T12:34:56', '2024-06-15T12:34:56', '2024-06-15T12:34:56Z']);
  });

  it('zero_dates: keep_text reads DATE, DATETIME and TIMESTAMP columns as the exact server text', async () => {
    const f = fixture('regression_test');
    const read = await readTable(f, 'dbz_1318_zerovaluetest', { zero_dates: 'keep_text', time_type: 'interval' });
    expect(read.columns.map((c) => c.type.kind)).toEqual(['string', 'interval', 'string', 'string', 'string', 'interval', 'string']);
    const server = await f.db.query<Record<string, string>>('SELECT CAST(c1 AS CHAR) AS c1, CAST(c3 AS CHAR) AS c3, CAST(nnc3 AS CHAR) AS nnc3 FROM dbz_1318_zerovaluetest');
    expect(read.rows.map((r) => [r[0], r[2], r[6]])).toEqual(server.map((r) => [r['c1'], r['c3'], r['nnc3']]));
    expect(read.rows[1]?.[0]).toBe('0001-00-00');
  });

  it('TIME beyond a day fails as a time of day, naming the column; time_type: interval keeps its meaning', async () => {
    const f = fixture('regression_test');
    const failure = await readTable(f, 'dbz_342_timetest', {}).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DataError);
    expect((failure as DataError).message).toContain('"c1"');
    expect((failure as DataError).context.hint).toContain('time_type: interval');
    const read = await readTable(f, 'dbz_342_timetest', { time_type: 'interval' });
    expect(read.rows[0]).toEqual(['PT517H51M4.77S', 'PT-13H-14M-50S', 'PT-733H-0.001S', 'PT-1H-59M-59.001S', 'PT-838H-59M-58.999999S', 'PT-20M-38S', 'PT-1H-1M-1.000001S', 'PT-1H-1M-1S', 'PT-1H-1M', 'PT-1H', 'PT0S']);
    const day = await readTable(f, 'dbz_85_fractest', {});
    // MariaDB truncates (never rounds) fractions beyond the column's precision on insert: .777 in TIME(2) is .77.
    expect(day.rows[0]).toEqual(['2014-09-08', '17:51:04.77', '2014-09-08T17:51:04.77', '2014-09-08T17:51:04.77Z']);
  });

  it('discovers unsigned, enum, set, json, uuid, bit, year and decimal columns with exact kinds and keys', async () => {
    const kinds = async (file: string, table: string): Promise<Record<string, string>> => {
      const t = (await tablesOf(fixture(file))).find((x) => x.table.name === table);
      // Kinds with decimal digits, and time kinds with their fractional digits; string lengths left out.
      return Object.fromEntries((t?.columns ?? []).map((c) => [c.name, c.type.kind === 'string' ? 'string' : logicalTypeText(c.type)]));
    };
    expect(await kinds('unsigned_integer_test', 'dbz_228_bigint_unsigned')).toEqual({ id: 'int32', c1: 'decimal(20,0)', c2: 'decimal(20,0)', c3: 'int64' });
    expect(await kinds('unsigned_integer_test', 'dbz_228_int_unsigned')).toMatchObject({ c1: 'int64', c3: 'int32' });
    expect(await kinds('json_test', 'dbz_126_jsontable')).toMatchObject({ json: 'json', expectedJdbcStr: 'string' });
    expect(await kinds('mariadb_uuid_column_test', 'test_uuid')).toEqual({ id: 'uuid', expected: 'string' });
    expect(await kinds('regression_test', 'dbz_123_bitvaluetest')).toEqual({ c1: 'boolean', c2: 'bytes', c3: 'bytes', c4: 'bytes' });
    expect(await kinds('year_test', 'dbz_1143_year_test')).toMatchObject({ y18: 'int16', d18: 'date', dt18: 'timestamp(0)' });
    expect(await kinds('decimal_test', 'DBZ730')).toMatchObject({ E: 'decimal(65,18)', A: 'decimal(3,2)' });
    const special = (await tablesOf(fixture('special_characters_test')))[0];
    expect(special?.table.name).toBe("special\"[`]$'");
    expect(special?.primaryKey).toEqual(["special\"[`$]'_id"]);
    const enums = await readTable(fixture('enum_column_test'), 'test_stations_10', {});
    expect(enums.columns.find((c) => c.name === 'type')?.sourceType).toBe("enum('station','post_office','plane','ahihi_dongok','now','test','a,b','c,''d','g,''h')");
    const unsigned = await readTable(fixture('unsigned_integer_test'), 'dbz_228_bigint_unsigned', {});
    expect(unsigned.rows[0]).toEqual([1, '18446744073709551615', '18446744073709551615', 9223372036854775807n]);
  });
});

describe('mysql <-> postgres', () => {
  it('copies every torture table MySQL -> Postgres -> MySQL keeping every value and kind', async () => {
    const toPg = pgDestination(pg.url, { schema: 'rt' });
    const fromPg = pgSource(pg.url);
    const toMysql = mysqlDestination(back.url);
    const fromMysql = mysqlSource(back.url);
    const kinds = (columns: readonly Column[]): string[] => columns.map((c) => `${c.name}:${c.type.kind}`);
    let tables = 0;
    try {
      for (const f of fixtures) {
        const source = mysqlSource(f.db.url, LENIENT);
        try {
          for (const t of await tablesOf(f)) {
            const original = await readAll(source, tableRead(f.db.name, t.table.name));
            const name = `${f.file}__${t.table.name}`;
            await loadRows(toPg, { target: { schema: 'rt', name }, columns: original.columns, write: 'replace', primaryKey: t.primaryKey }, original.rows);
            const inPg = await readAll(fromPg, tableRead('rt', name));
            expect(kinds(inPg.columns), name).toEqual(kinds(original.columns));
            expect(jsonNormalized(inPg), `${name} in postgres`).toEqual(jsonNormalized(original));
            await loadRows(toMysql, { target: { schema: back.name, name }, columns: inPg.columns, write: 'replace', primaryKey: t.primaryKey }, inPg.rows);
            const again = await readAll(fromMysql, tableRead(back.name, name));
            expect(kinds(again.columns), name).toEqual(kinds(original.columns));
            expect(again.rows, `${name} back in mysql`).toEqual(inPg.rows);
            tables++;
          }
        } finally {
          await source.close();
        }
      }
    } finally {
      await Promise.all([toPg.close(), fromPg.close(), toMysql.close(), fromMysql.close()]);
    }
    expect(tables).toBe(43);
  });
});
