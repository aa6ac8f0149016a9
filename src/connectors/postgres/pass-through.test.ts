import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawFormat, WriteMode } from '../../core/connector.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.js';
import type { PostgresDestination } from './destination.js';
import type { PostgresSource } from './source.js';
import { DEFAULT_SCHEMA_CONTRACT } from '../../core/schema-contract.js';
import { openWithContract } from '../../engine/contract-writer.js';
import { destinationFor, openRequest, sourceFor, tableRead } from './test-support/postgres-test-kit.js';

let db: TestDatabase;
let source: PostgresSource;
let destination: PostgresDestination;
const signal = new AbortController().signal;

beforeAll(async () => {
  db = await createTestDatabase('pgraw');
  await db.query(`
    CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
    CREATE TABLE wide (
      id bigint PRIMARY KEY, n int, s smallint, f4 real, f8 float8, amount numeric(12,2), big numeric, note varchar(20), pad char(5),
      doc jsonb, j json, flag bool, uid uuid, raw bytea, d date, t time(3), tz timetz, ts timestamp(6), tstz timestamptz(3), iv interval,
      arr int[], tags text[], ip inet, net cidr, mac macaddr, money money, r tsrange, p point, bits bit(4), x xml);
    INSERT INTO wide SELECT g, g, (g % 30000)::smallint, g / 7.0, g / 3.0, round(g / 100.0, 2), g::numeric ^ 3 / 7, 'n' || g, 'p',
      jsonb_build_object('k', g, 'a', jsonb_build_array(g, null)), '{"z": 1, "a": 2}', g % 2 = 0, md5(g::text)::uuid, decode(md5(g::text), 'hex'),
      date '2000-01-01' + g, time '10:00' + g * interval '1 ms', timetz '10:00+05:45', timestamp '2000-01-01' + g * interval '1 microsecond',
      timestamptz '2000-01-01 00:00+00' + g * interval '1 ms', g * interval '1 day 1 second', ARRAY[g, NULL], ARRAY['a"b', NULL, 'c\\d'],
      '10.0.0.1'::inet, '10.0.0.0/8', '08:00:2b:01:02:03', g, tsrange('2020-01-01', '2020-02-01'), point(g, -g), B'1010', '<a>x</a>'
    FROM generate_series(1, 20000) g;
    INSERT INTO wide (id) VALUES (0);
    CREATE TABLE moods (id int PRIMARY KEY, m mood);
    INSERT INTO moods VALUES (1, 'happy'), (2, NULL);
    CREATE SCHEMA copy;
  `);
  source = sourceFor(db.url);
  destination = destinationFor(db.url, { schema: 'copy' });
});

afterAll(async () => {
  await destination?.close();
  await source?.close();
  await db?.drop();
});

async function differences(a: string, b: string, columns: readonly string[]): Promise<number> {
  const list = columns.map((c) => `"${c}"::text`).join(', ');
  const sql = `SELECT count(*)::int AS n FROM ((SELECT ${list} FROM ${a} EXCEPT ALL SELECT ${list} FROM ${b}) UNION ALL (SELECT ${list} FROM ${b} EXCEPT ALL SELECT ${list} FROM ${a})) d`;
  return (await db.query<{ n: number }>(sql)).rows[0]?.n ?? -1;
}

async function passThrough(table: string, write: WriteMode, target: string, format: RawFormat = 'pg-binary'): Promise<{ rows: number; raw: boolean }> {
  const descriptor = await source.describe({ kind: 'table', table: { schema: 'public', name: table } });
  const columns = descriptor.columns;
  const request = tableRead('public', table, { columns: columns.map((c) => c.name) });
  const writer = await destination.open(openRequest({ target: { schema: 'copy', name: target }, columns, write, primaryKey: descriptor.primaryKey, rawFormat: format }), signal);
  if (!writer.writeRaw) {
    await writer.abort();
    return { rows: 0, raw: false };
  }
  const staged = await writer.writeRaw(source.readRaw(request, format, signal), signal);
  await writer.commit(undefined);
  return { rows: staged.rows, raw: true };
}

describe('binary pass-through', () => {
  it.each(['pg-binary', 'pg-copy-data'] as const)('copies every built-in type byte for byte into an identical table (%s)', async (format) => {
    const result = await passThrough('wide', 'replace', 'wide', format);
    expect(result).toEqual({ rows: 20001, raw: true });
    const types = await db.query<{ s: string; d: string }>(
      `SELECT format_type(a.atttypid, a.atttypmod) AS s, format_type(b.atttypid, b.atttypmod) AS d FROM pg_attribute a
       JOIN pg_attribute b ON b.attrelid = 'copy.wide'::regclass AND b.attname = a.attname WHERE a.attrelid = 'public.wide'::regclass AND a.attnum > 0`,
    );
    expect(types.rows).toHaveLength(30);
    for (const row of types.rows) expect(row.d).toBe(row.s);
    const columns = (await source.describe({ kind: 'table', table: { schema: 'public', name: 'wide' } })).columns.map((c) => c.name);
    expect(await differences('public.wide', 'copy.wide', columns)).toBe(0);
  });

  it('merges through binary staging too', async () => {
    await db.query('CREATE TABLE copy.wide_merge (LIKE public.wide INCLUDING ALL)');
    await db.query('INSERT INTO copy.wide_merge SELECT * FROM public.wide WHERE id < 100');
    await db.query(`UPDATE copy.wide_merge SET note = 'stale'`);
    expect((await passThrough('wide', 'merge', 'wide_merge', 'pg-copy-data')).rows).toBe(20001);
    const columns = (await source.describe({ kind: 'table', table: { schema: 'public', name: 'wide' } })).columns.map((c) => c.name);
    expect(await differences('public.wide', 'copy.wide_merge', columns)).toBe(0);
  });

  it('the decoded path lands the same values as pass-through', async () => {
    const descriptor = await source.describe({ kind: 'table', table: { schema: 'public', name: 'wide' } });
    const writer = await destination.open(openRequest({ target: { schema: 'copy', name: 'wide_decoded' }, columns: descriptor.columns, write: 'replace' }), signal);
    for await (const batch of source.read(tableRead('public', 'wide', { batchSize: 3000 }), signal)) await writer.write(batch);
    expect((await writer.commit(undefined)).rows).toBe(20001);
    expect(await differences('public.wide', 'copy.wide_decoded', descriptor.columns.map((c) => c.name))).toBe(0);
  });

  it('offers no writeRaw when a column has a user-defined type, and the decoded path lands it as text', async () => {
    expect(await passThrough('moods', 'replace', 'moods')).toEqual({ rows: 0, raw: false });
    const descriptor = await source.describe({ kind: 'table', table: { schema: 'public', name: 'moods' } });
    const writer = await destination.open(openRequest({ target: { schema: 'copy', name: 'moods' }, columns: descriptor.columns, write: 'replace', rawFormat: 'pg-binary' }), signal);
    expect(writer.writeRaw).toBeUndefined();
    for await (const batch of source.read(tableRead('public', 'moods'), signal)) await writer.write(batch);
    await writer.commit(undefined);
    const landed = await db.query(`SELECT id, m, pg_typeof(m)::text AS t FROM copy.moods ORDER BY id`);
    expect(landed.rows).toEqual([{ id: 1, m: 'happy', t: 'text' }, { id: 2, m: null, t: 'text' }]);
  });

  it('widens a narrower target in place (smallint -> int, numeric(10,2) -> (12,2)) and still passes bytes through', async () => {
    await db.query('CREATE TABLE copy.narrow (id bigint PRIMARY KEY, n smallint, amount numeric(10,2), note varchar(5))');
    await db.query("INSERT INTO copy.narrow VALUES (-1, 1, 1.5, 'old')");
    const descriptor = await source.describe({ kind: 'table', table: { schema: 'public', name: 'wide' } });
    const columns = descriptor.columns.filter((c) => ['id', 'n', 'amount', 'note'].includes(c.name));
    const log: string[] = [];
    const { writer, report } = await openWithContract({
      destination,
      request: openRequest({ target: { schema: 'copy', name: 'narrow' }, columns, write: 'append', rawFormat: 'pg-binary' }),
      contract: DEFAULT_SCHEMA_CONTRACT,
      log: { write: (_level, _stream, message) => log.push(message) },
      signal,
    });
    expect(writer.writeRaw).toBeDefined();
    const staged = await writer.writeRaw?.(source.readRaw(tableRead('public', 'wide', { columns: columns.map((c) => c.name) }), 'pg-binary', signal), signal);
    await writer.commit(undefined);
    expect(staged?.rows).toBe(20001);
    expect(report()?.widened).toEqual(['n: int16 -> int32', 'amount: decimal(10,2) -> decimal(12,2)', 'note: string(5) -> string(20)']);
    const types = await db.query<{ attname: string; type: string }>("SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'copy.narrow'::regclass AND attnum > 0 ORDER BY attnum");
    expect(types.rows.map((r) => r.type)).toEqual(['bigint', 'integer', 'numeric(12,2)', 'character varying(20)']);
    expect(await differences('public.wide', 'copy.narrow WHERE id >= 0', ['id', 'n', 'amount', 'note'])).toBe(0);
    expect((await db.query("SELECT n, amount::text, note FROM copy.narrow WHERE id = -1")).rows).toEqual([{ n: 1, amount: '1.50', note: 'old' }]);
  });
});
