import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../core/checkpoint.js';
import { ConfigError, DataError, SchemaChangeError } from '../../core/errors.js';
import type { Column, Row } from '../../core/schema.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.js';
import type { PostgresDestination } from './destination.js';
import type { PostgresSource } from './source.js';
import { col, destinationFor, load, openRequest, readAll, sourceFor, tableRead } from './test-support/postgres-test-kit.js';

let db: TestDatabase;
let destination: PostgresDestination;
let source: PostgresSource;
const signal = new AbortController().signal;

beforeAll(async () => {
  db = await createTestDatabase('pgdst');
  destination = destinationFor(db.url, { schema: 'landing' });
  source = sourceFor(db.url);
});

afterAll(async () => {
  await destination?.close();
  await source?.close();
  await db?.drop();
});

async function rows(sql: string): Promise<unknown[][]> {
  const result = await db.query({ text: sql, rowMode: 'array' } as unknown as string);
  return result.rows as unknown as unknown[][];
}

async function stagingTables(): Promise<number> {
  const r = await db.query<{ n: string }>(`SELECT count(*) AS n FROM pg_class WHERE relname LIKE '\\_ferry\\_stage%'`);
  return Number(r.rows[0]?.n);
}

const people: Column[] = [col('id', 'int64', { nullable: false }), col('name', 'string'), col('score', 'decimal', { type: { kind: 'decimal', precision: 6, scale: 2 } })];

describe('write modes', () => {
  it('replace creates the table with types, key and NOT NULL, then swaps in new contents', async () => {
    const target = { schema: 'landing', name: 'People' };
    const first = await load(destination, openRequest({ target, columns: people, write: 'replace', primaryKey: ['id'] }), [
      { columns: people, rows: [[1n, 'ann', '1.50'], [2n, 'bob', null]] },
    ]);
    expect(first).toBe(2);
    expect(await rows('SELECT id, name, score::text FROM landing."People" ORDER BY id')).toEqual([['1', 'ann', '1.50'], ['2', 'bob', null]]);
    const shape = await rows(`SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute WHERE attrelid = 'landing."People"'::regclass AND attnum > 0 ORDER BY attnum`);
    expect(shape).toEqual([['id', 'bigint', true], ['name', 'text', false], ['score', 'numeric(6,2)', false]]);
    expect(await rows(`SELECT conname FROM pg_constraint WHERE conrelid = 'landing."People"'::regclass AND contype = 'p'`)).toEqual([['People_pkey']]);
    await load(destination, openRequest({ target, columns: people, write: 'replace', primaryKey: ['id'] }), [{ columns: people, rows: [[3n, 'cy', '9.99']] }]);
    expect(await rows('SELECT id, name, score::text FROM landing."People"')).toEqual([['3', 'cy', '9.99']]);
    expect(await stagingTables()).toBe(0);
  });

  it('append adds rows; truncate empties the same table and loads', async () => {
    const target = { schema: 'landing', name: 'log' };
    await load(destination, openRequest({ target, columns: people, write: 'append' }), [{ columns: people, rows: [[1n, 'a', '1'], [1n, 'a', '1']] }]);
    await load(destination, openRequest({ target, columns: people, write: 'append' }), [{ columns: people, rows: [[2n, 'b', '2']] }, { columns: people, rows: [[3n, 'c', '3']] }]);
    expect(await rows('SELECT id, name FROM landing.log ORDER BY id')).toEqual([['1', 'a'], ['1', 'a'], ['2', 'b'], ['3', 'c']]);
    const oid = await rows(`SELECT 'landing.log'::regclass::oid`);
    const n = await load(destination, openRequest({ target, columns: people, write: 'truncate' }), [{ columns: people, rows: [[7n, 'z', '7.5']] }]);
    expect(n).toBe(1);
    expect(await rows('SELECT id, name, score::text FROM landing.log')).toEqual([['7', 'z', '7.50']]);
    expect(await rows(`SELECT 'landing.log'::regclass::oid`)).toEqual(oid);
  });

  it('merge keeps one row per multi-column key: highest cursor, then last loaded', async () => {
    const columns = [col('region', 'string'), col('id', 'int32'), col('v', 'string'), col('updated', 'timestamptz')];
    const target = { schema: 'landing', name: 'merged' };
    const request = openRequest({ target, columns, write: 'merge', primaryKey: ['region', 'id'], cursorColumn: 'updated' });
    await load(destination, request, [{ columns, rows: [['eu', 1, 'old', '2024-01-01T00:00:00Z'], ['us', 1, 'keep', '2024-01-01T00:00:00Z']] }]);
    const published = await load(destination, request, [
      { columns, rows: [['eu', 1, 'newest', '2024-03-01T00:00:00Z'], ['eu', 1, 'older', '2024-02-01T00:00:00Z'], ['eu', 2, 'first', '2024-01-01T00:00:00.5Z']] },
      { columns, rows: [['eu', 2, 'second', '2024-01-01T00:00:00.5Z'], ['eu', 3, 'null cursor', null], ['eu', 3, 'real cursor', '2020-01-01T00:00:00Z']] },
    ]);
    expect(published).toBe(3);
    expect(await rows(`SELECT region, id, v, to_char(updated AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM landing.merged ORDER BY 1, 2`)).toEqual([
      ['eu', 1, 'newest', '2024-03-01 00:00:00.000000'],
      ['eu', 2, 'second', '2024-01-01 00:00:00.500000'],
      ['eu', 3, 'real cursor', '2020-01-01 00:00:00.000000'],
      ['us', 1, 'keep', '2024-01-01 00:00:00.000000'],
    ]);
    expect(await rows(`SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'landing.merged'::regclass AND contype = 'p'`)).toEqual([['PRIMARY KEY (region, id)']]);
  });

  it('merge into a table without a key adds a unique index, or refuses when it has duplicates', async () => {
    await db.query('CREATE TABLE landing.keyless (id int, v text); INSERT INTO landing.keyless VALUES (1, $$a$$)');
    const columns = [col('id', 'int32'), col('v', 'string')];
    const request = openRequest({ target: { schema: 'landing', name: 'keyless' }, columns, write: 'merge', primaryKey: ['id'] });
    await load(destination, request, [{ columns, rows: [[1, 'b'], [2, 'c']] }]);
    expect(await rows('SELECT id, v FROM landing.keyless ORDER BY id')).toEqual([[1, 'b'], [2, 'c']]);
    await db.query('CREATE TABLE landing.dupes (id int, v text); INSERT INTO landing.dupes VALUES (1, $$a$$), (1, $$b$$)');
    const dupes = openRequest({ target: { schema: 'landing', name: 'dupes' }, columns, write: 'merge', primaryKey: ['id'] });
    await expect(load(destination, dupes, [{ columns, rows: [[1, 'x']] }])).rejects.toBeInstanceOf(DataError);
    expect(await rows('SELECT id, v FROM landing.dupes ORDER BY v')).toEqual([[1, 'a'], [1, 'b']]);
    await expect(destination.open(openRequest({ target: { schema: 'landing', name: 'nokey' }, columns, write: 'merge' }), signal)).rejects.toBeInstanceOf(ConfigError);
    expect(await stagingTables()).toBe(0);
  });
});

describe('atomicity', () => {
  it('replace: a concurrent reader sees the old table until the swap commits, never a half table', async () => {
    await db.query('CREATE TABLE landing.swap AS SELECT g::bigint AS id, $$old$$ AS name, 1.00::numeric(6,2) AS score FROM generate_series(1, 1000) g');
    const writer = await destination.open(openRequest({ target: { schema: 'landing', name: 'swap' }, columns: people, write: 'replace', primaryKey: ['id'] }), signal);
    for (let b = 0; b < 10; b++) {
      await writer.write({ columns: people, rows: Array.from({ length: 5000 }, (_, i): Row => [BigInt(b * 5000 + i), 'new', '2.00']) });
      expect(await rows('SELECT count(*)::int, min(name) FROM landing.swap')).toEqual([[1000, 'old']]);
    }
    const reader = new pg.Client({ connectionString: db.url });
    await reader.connect();
    try {
      await reader.query('BEGIN');
      expect((await reader.query('SELECT count(*)::int AS n FROM landing.swap')).rows[0]).toEqual({ n: 1000 });
      let committed = false;
      const commit = writer.commit(undefined).then((r) => {
        committed = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 400));
      expect(committed).toBe(false); // the swap waits for the reader's lock
      expect((await reader.query('SELECT count(*)::int AS n, min(name) AS name FROM landing.swap')).rows[0]).toEqual({ n: 1000, name: 'old' });
      await reader.query('COMMIT');
      expect((await commit).rows).toBe(50000);
      expect((await reader.query('SELECT count(*)::int AS n, min(name) AS name FROM landing.swap')).rows[0]).toEqual({ n: 50000, name: 'new' });
    } finally {
      await reader.end();
    }
  });

  it('abort leaves the target as it was and drops staging; abort twice is fine', async () => {
    await db.query('CREATE TABLE landing.keep (id bigint PRIMARY KEY, name text, score numeric(6,2)); INSERT INTO landing.keep VALUES (1, $$x$$, 1)');
    for (const write of ['replace', 'append', 'truncate', 'merge'] as const) {
      const writer = await destination.open(openRequest({ target: { schema: 'landing', name: 'keep' }, columns: people, write, primaryKey: ['id'] }), signal);
      await writer.write({ columns: people, rows: [[1n, 'changed', '5'], [2n, 'new', '6']] });
      await writer.abort();
      await writer.abort();
      expect(await rows('SELECT id, name, score::text FROM landing.keep')).toEqual([['1', 'x', '1.00']]);
    }
    const fresh = await destination.open(openRequest({ target: { schema: 'landing', name: 'never' }, columns: people, write: 'append' }), signal);
    await fresh.write({ columns: people, rows: [[1n, 'a', '1']] });
    await fresh.abort();
    expect(await rows(`SELECT to_regclass('landing.never')`)).toEqual([[null]]);
    expect(await stagingTables()).toBe(0);
  });

  it('replace refuses to drop a table that views depend on, with a hint, and leaves it intact', async () => {
    await db.query('CREATE TABLE landing.viewed (id bigint, name text, score numeric(6,2)); INSERT INTO landing.viewed VALUES (1, $$v$$, 1); CREATE VIEW landing.v_viewed AS SELECT * FROM landing.viewed');
    const error = await load(destination, openRequest({ target: { schema: 'landing', name: 'viewed' }, columns: people, write: 'replace' }), [{ columns: people, rows: [[5n, 'n', '1']] }]).catch((e: unknown) => e);
    expect((error as DataError).message).toMatch(/depend/);
    expect((error as DataError).context.hint).toMatch(/truncate/);
    expect(await rows('SELECT id, name FROM landing.v_viewed')).toEqual([['1', 'v']]);
    expect(await stagingTables()).toBe(0);
  });

  it('drops staging tables left by dead writers, but not those of live writers', async () => {
    await db.query('CREATE TABLE landing._ferry_stage_0123456789_deadbeef (x int)');
    const live = await destination.open(openRequest({ target: { schema: 'landing', name: 'live' }, columns: people, write: 'append' }), signal);
    const other = await destination.open(openRequest({ target: { schema: 'landing', name: 'other' }, columns: people, write: 'append' }), signal);
    expect(await rows(`SELECT to_regclass('landing._ferry_stage_0123456789_deadbeef')`)).toEqual([[null]]);
    expect(await stagingTables()).toBe(2);
    await live.abort();
    await other.abort();
    expect(await stagingTables()).toBe(0);
  });
});

describe('schema changes and checkpoints', () => {
  it('evolve adds new columns; freeze names them and the setting', async () => {
    await db.query('CREATE TABLE landing.evolving (id bigint, name text); INSERT INTO landing.evolving VALUES (1, $$old$$)');
    const columns = [...people, col('Extra Col', 'json')];
    const frozen = await destination.open(openRequest({ target: { schema: 'landing', name: 'evolving' }, columns, write: 'append', schemaChange: 'freeze' }), signal).catch((e: unknown) => e);
    expect(frozen).toBeInstanceOf(SchemaChangeError);
    expect((frozen as SchemaChangeError).message).toContain('"score", "Extra Col"');
    expect((frozen as SchemaChangeError).message).toContain('landing.evolving');
    expect((frozen as SchemaChangeError).context.hint).toContain('schema_change: evolve');
    await load(destination, openRequest({ target: { schema: 'landing', name: 'evolving' }, columns, write: 'append' }), [{ columns, rows: [[2n, 'new', '3.25', '{"a": [1, 2]}']] }]);
    expect(await rows('SELECT id, name, score::text, "Extra Col"::text FROM landing.evolving ORDER BY id')).toEqual([['1', 'old', null, null], ['2', 'new', '3.25', '{"a": [1, 2]}']]);
  });

  it('stores the checkpoint in the commit transaction, and not when the commit fails', async () => {
    const checkpoint: Checkpoint = { sync: 'shop', stream: 'public.orders', runId: 'r9', seq: 1732240000123, state: { cursor: { column: 'at', kind: 'timestamptz', value: '2024-01-01T00:00:00.5Z', boundaryKeys: ['[1]'] } } };
    expect(await destination.readCheckpoint('shop', 'public.orders')).toBeUndefined();
    const request = openRequest({ target: { schema: 'landing', name: 'orders' }, columns: people, write: 'merge', primaryKey: ['id'] });
    const writer = await destination.open(request, signal);
    await writer.write({ columns: people, rows: [[1n, 'a', '1']] });
    const result = await writer.commit(checkpoint);
    expect(result.sql.some((s) => s.includes('"landing"."_ferry_checkpoints"'))).toBe(true);
    expect(await destination.readCheckpoint('shop', 'public.orders')).toEqual(checkpoint);
    expect(await rows('SELECT id FROM landing.orders')).toEqual([['1']]);

    await db.query('CREATE TABLE landing.fails (id bigint, name text, score numeric(6,2)); INSERT INTO landing.fails VALUES (1, $$a$$, 1), (1, $$b$$, 1)');
    const failing = await destination.open(openRequest({ target: { schema: 'landing', name: 'fails' }, columns: people, write: 'merge', primaryKey: ['id'] }), signal);
    await failing.write({ columns: people, rows: [[2n, 'c', '1']] });
    await expect(failing.commit({ ...checkpoint, stream: 'public.fails' })).rejects.toBeInstanceOf(DataError);
    await failing.abort();
    expect(await destination.readCheckpoint('shop', 'public.fails')).toBeUndefined();
  });
});

describe('values', () => {
  it('round-trips every naughty string exactly through COPY text', async () => {
    const strings = JSON.parse(await readFile(resolve('../shared/fixtures/naughty-strings/blns.json'), 'utf8')) as string[];
    const columns = [col('i', 'int32'), col('s', 'string')];
    const target = { schema: 'landing', name: 'naughty' };
    const all: Row[] = strings.map((s, i) => [i, s]);
    // Extra hostile values: COPY escapes, the end-of-data marker, a literal \N.
    const extra = ['\\.', '\\N', 'a\tb\nc\rd\\e', '\\x00', '\u2028\u2029', ''];
    extra.forEach((s, k) => all.push([strings.length + k, s]));
    await load(destination, openRequest({ target, columns, write: 'replace' }), [{ columns, rows: all.slice(0, 200) }, { columns, rows: all.slice(200) }]);
    const back = await readAll(source, tableRead('landing', 'naughty'));
    expect(back.rows.sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(all);
  });

  it('writes every logical kind from canonical values into native types and reads them back unchanged', async () => {
    const columns: Column[] = [
      col('b', 'boolean'), col('i2', 'int16'), col('i4', 'int32'), col('i8', 'int64'), col('f4', 'float32'), col('f8', 'float64'),
      { name: 'd', type: { kind: 'decimal', precision: 30, scale: 10 }, nullable: true }, col('dn', 'decimal'), col('s', 'string'), col('by', 'bytes'),
      col('j', 'json'), col('u', 'uuid'), col('dt', 'date'), col('t', 'time'), col('tz', 'timetz'), col('ts', 'timestamp'), col('tstz', 'timestamptz'), col('iv', 'interval'),
    ];
    const values: Row[] = [
      [true, -32768, 2147483647, 9223372036854775807n, 1.5, -0, '-12345678901234567890.0123456789', 'NaN', 'tab\there', Buffer.from([0, 1, 254, 255]), '{"big": 123456789012345678901234567890}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '0044-03-15 BC', '23:59:59.999999', '04:05:06+05:45', '2024-02-29T12:34:56.123456', '1969-12-31T23:59:59.000001Z', 'P1Y2M3DT4H5M6.5S'],
      [false, 0, 0, -9223372036854775808n, Number.NaN, Number.POSITIVE_INFINITY, '0.0000000001', '-Infinity', '', Buffer.alloc(0), '[]', '00000000-0000-0000-0000-000000000000', 'infinity', '00:00:00', '00:00:00-03:30', '-infinity', '0044-03-15T12:00:00.5Z BC', 'PT0S'],
      Array.from({ length: columns.length }, () => null),
    ];
    const target = { schema: 'landing', name: 'kinds' };
    await load(destination, openRequest({ target, columns, write: 'replace' }), [{ columns, rows: values }]);
    const types = await rows(`SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'landing.kinds'::regclass AND attnum > 0 ORDER BY attnum`);
    expect(types.map((t) => t[0])).toEqual([
      'boolean', 'smallint', 'integer', 'bigint', 'real', 'double precision', 'numeric(30,10)', 'numeric', 'text', 'bytea', 'jsonb', 'uuid', 'date',
      'time without time zone', 'time with time zone', 'timestamp without time zone', 'timestamp with time zone', 'interval',
    ]);
    const back = await readAll(source, tableRead('landing', 'kinds'));
    const expected = values.map((r) => [...r]);
    (expected[0] as Row)[10] = '{"big": 123456789012345678901234567890}';
    (expected[1] as Row)[10] = '[]';
    expect(back.rows).toEqual(expected);
    expect(Object.is(back.rows[0]?.[5], -0)).toBe(true);
  });
});
