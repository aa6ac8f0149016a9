import type { ReadRequest } from '../../src/core/connector.js';
import type { StreamDescriptor } from '../../src/core/schema.js';
import { takesPgBinary } from '../../src/connectors/files/pg-binary-parts.js';
import { quoteIdent } from '../../src/connectors/postgres/identifiers.js';
import type { TestDatabase } from './postgres.js';

/** The read of `t`'s columns whose binary COPY Ferry re-encodes, or undefined when it has none. */
export function binaryReadOf(t: StreamDescriptor): ReadRequest | undefined {
  const columns = t.columns.filter((c) => takesPgBinary([c]));
  if (columns.length === 0) return undefined;
  const list = columns.map((c) => quoteIdent(c.name)).join(', ');
  return { stream: t.name, target: { kind: 'query', sql: `SELECT ${list} FROM ${quoteIdent(t.table.schema ?? 'public')}.${quoteIdent(t.table.name)}` }, batchSize: 1000 };
}


/**
 * Tables of edge values for every Postgres type whose binary COPY Ferry
 * re-encodes (files/pg-binary-parts.ts): `binary_edges` (extremes, NaN,
 * infinities, -0, BC dates, 24:00:00, 38-digit numerics, long and non-ASCII
 * text, a row of NULLs), `binary_numerics` (numerics kept as text: NaN,
 * infinities, scales, a 1001-digit value), and two tables whose second row both paths refuse:
 * `binary_nan` (a NUMERIC NaN) and `binary_far` (a timestamp past DuckDB's last).
 */
export async function createBinaryEdgeTables(db: TestDatabase): Promise<void> {
  await db.query(`CREATE TABLE binary_edges (id int, b boolean, s smallint, i int, big bigint, r real, d double precision, m numeric(12,2), m18 numeric(18,6), m4 numeric(4,4),
    t text, v varchar(5), c char(3), nm name, j json, jb jsonb, by bytea, u uuid, dt date, ts timestamp, tz timestamptz)`);
  // Filled below; added as columns 22-25 so the tests' positions above stay.
  await db.query('ALTER TABLE binary_edges ADD COLUMN tm time, ADD COLUMN tm3 time(3), ADD COLUMN m30 numeric(30,5), ADD COLUMN m38 numeric(38,0)');
  await db.query(`INSERT INTO binary_edges VALUES
    (1, true, -32768, -2147483648, -9223372036854775808, 'NaN', 'NaN', -9999999999.99, 999999999999.999999, 0.9999, '', 'abcde', 'a', 'n', '{"a" :  1}', '{"b": [1, 2]}', '',
     '00000000-0000-0000-0000-000000000000', 'infinity', 'infinity', 'infinity'),
    (2, false, 32767, 2147483647, 9223372036854775807, 'Infinity', '-Infinity', 9999999999.99, -999999999999.999999, -0.0001, 'héllo wörld ✓ 𝄞', NULL, 'ab', NULL, '[]', 'null', '\\x00ff',
     'ffffffff-ffff-ffff-ffff-ffffffffffff', '-infinity', '-infinity', '-infinity'),
    (3, NULL, 0, 0, 0, '-0', '-0', 0, 0, 0, repeat('x', 100000), 'x', NULL, 'name', '"s"', '"s"', decode(repeat('ab', 5000), 'hex'), NULL, '4713-01-01 BC', '4713-01-01 00:00:00', '1970-01-01 00:00:00+00'),
    (4, true, NULL, NULL, NULL, 3.4028235e38, 5e-324, 0.01, 0.000001, NULL, E'tab\there\nnewline "q",', '', '', '', NULL, '{}', NULL, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '5874897-12-31',
     '294246-12-31 23:59:59.999999', '2000-01-01 00:00:00.000001+00'),
    (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (6, false, -1, -1, -1, 1.1, 0.1, 1.5, -123456789012.5, 0.5, 'say "hi", there', 'ü', 'xyz', 'ñame', '{"k": "v"}', '{"k": {"n": [true, null]}}', '\\x5c2e0a', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12',
     '1999-12-31', '1999-12-31 23:59:59.999999', '2024-02-29 23:59:59.5+05:45'),
    (7, true, 1, 1, 1, 1e-45, -1.7976931348623157e308, -0.01, 1e-6, 0.1, repeat('é', 70000), NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2000-01-01', '2000-01-01 00:00:00', '0001-01-01 00:00:00+00')`);
  await db.query(`UPDATE binary_edges e SET tm = v.tm, tm3 = v.tm3, m30 = v.m30, m38 = v.m38 FROM (VALUES
      (1, '24:00:00'::time, '00:00:00'::time(3), -1234567890123456789012345.12345::numeric(30,5), 99999999999999999999999999999999999999::numeric(38,0)),
      (2, '00:00:00', '23:59:59.999', 1234567890123456789012345.12345, -99999999999999999999999999999999999999),
      (3, '23:59:59.999999', '12:00:00.5', 0, 0),
      (4, '00:00:00.000001', NULL, -0.00001, -1),
      (6, '13:14:15.161718', '01:02:03.004', 0.5, 18446744073709551616)) AS v(id, tm, tm3, m30, m38) WHERE e.id = v.id`);
  // Numerics kept as their text (unconstrained, or wider than 38 digits): every branch of Postgres's printing.
  await db.query('CREATE TABLE binary_numerics (id int, n numeric, w numeric(60,20))');
  await db.query(`INSERT INTO binary_numerics VALUES
    (1, 0, 0), (2, -0.5, -0.5), (3, 0.000, 0.00000000000000000001), (4, 1.50000000, 1.5), (5, 10000, 10000), (6, 100000000, -100000000),
    (7, 12345678.9, 1234567890123456789012345678901234567890.12345678901234567890), (8, 'NaN', NULL), (9, 'Infinity', 0), (10, '-Infinity', 0),
    (11, 9999.9999, 9999.9999), (12, 0.0001, 0.0001), (13, 1e100, 1e39), (14, 1e-100, -1e-20), (15, NULL, NULL), (16, 0.1e-3, 1.00001),
    (17, -99999999999999999999999999999999999999999999.99999999999999999999999, 99999999999999999999999999999999999999.99999999999999999999),
    (18, 7, 7), (19, 70000.0070, 0.12345678901234567890), (20, ('9' || repeat('0', 1000))::numeric, 1)`);
  await db.query("CREATE TABLE binary_nan (id int, m numeric(10,2))");
  await db.query("INSERT INTO binary_nan VALUES (1, 1.5), (2, 'NaN')");
  await db.query("CREATE TABLE binary_far (id int, ts timestamp)");
  await db.query("INSERT INTO binary_far VALUES (1, '2024-01-01'), (2, '294270-01-01 00:00:00')");
}
