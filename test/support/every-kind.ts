import type { Batch, Column, LogicalType, Row } from '../../src/core/schema.js';
import { canonicalTimestamp } from '../../src/core/values.js';

/**
 * Test data shared by the destination conformance suite and the engine suites:
 * one column of every logical kind and rows at the edges of each, in canonical
 * form. JSON texts are written as Postgres `jsonb` prints them (shorter keys
 * first, `", "` and `": "` separators) because jsonb re-renders what it stores;
 * they still carry numbers past float precision and trailing zeros.
 */
function column(name: string, type: LogicalType, nullable = true): Column {
  return { name, type, nullable };
}

export const EVERY_KIND_COLUMNS: readonly Column[] = [
  column('id', { kind: 'int64' }, false),
  column('b', { kind: 'boolean' }),
  column('i16', { kind: 'int16' }),
  column('i32', { kind: 'int32' }),
  column('i64', { kind: 'int64' }),
  column('f32', { kind: 'float32' }),
  column('f64', { kind: 'float64' }),
  column('d38', { kind: 'decimal', precision: 38, scale: 10 }),
  column('d', { kind: 'decimal' }),
  column('s', { kind: 'string' }),
  column('v', { kind: 'string', length: 20 }),
  column('by', { kind: 'bytes' }),
  column('j', { kind: 'json' }),
  column('u', { kind: 'uuid' }),
  column('dt', { kind: 'date' }),
  column('t', { kind: 'time' }),
  column('ttz', { kind: 'timetz' }),
  column('ts', { kind: 'timestamp' }),
  column('tstz', { kind: 'timestamptz' }),
  column('iv', { kind: 'interval' }),
];

const SIXTY_DIGITS = '123456789012345678901234567890123456789012345678901234567890';

export const EVERY_KIND_ROWS: readonly Row[] = [
  [
    1n, true, -32768, -2147483648, -9223372036854775808n, -3.4028235e38, -1.7976931348623157e308,
    '-9999999999999999999999999999.9999999999', `-${SIXTY_DIGITS}`, '', 'a',
    new Uint8Array([0, 1, 2, 0]), '{"f": 1.000, "big": 123456789012345678901234567890}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    '0001-01-01', '00:00:00', '00:00:00+14:00', '1970-01-01T00:00:00', '0001-01-01T00:00:00Z', 'P1Y2M3DT4H5M6.5S',
  ],
  [
    2n, false, 32767, 2147483647, 9223372036854775807n, Number.NaN, Number.POSITIVE_INFINITY,
    '9999999999999999999999999999.9999999999', `0.${SIXTY_DIGITS}`, 'emoji 😀 ﷽ 𝕌 ñ', 'x'.repeat(20),
    new Uint8Array([255, 0]), '[1, 2.50, "x", 12345678901234567890123]', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '9999-12-31', '23:59:59.999999', '23:59:59.999999-05:30', '9999-12-31T23:59:59.999999', '12345-06-07T08:09:10.5Z', 'P-1Y-2M-3DT-4H-5M-6.000001S',
  ],
  [
    3n, true, 0, 0, 0n, 1.1, Number.NEGATIVE_INFINITY,
    '0.0000000000', '0.0', 'line\nbreak "quoted" \'single\' \\ back\ttab', '',
    new Uint8Array([]), '"text"', '00000000-0000-0000-0000-000000000000',
    '2024-02-29', '12:34:56.5', '12:34:56+05:45', '2024-02-29T12:34:56.123456', '2024-02-29T12:34:56.000001Z', 'PT0S',
  ],
  [
    4n, false, 1, 1, 1n, 0.5, 5e-324,
    '-0.0000000001', '1.10', 'NULL', 'null',
    new Uint8Array([0]), '{}', '123e4567-e89b-12d3-a456-426614174000',
    '1999-01-08', '00:00:00.000001', '10:00:00-00:30', '2000-01-01T00:00:00.1', '1969-12-31T23:59:59.999999Z', 'P1D',
  ],
  [5n, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null],
];

export const EVERY_KIND_BATCH: Batch = { columns: EVERY_KIND_COLUMNS, rows: EVERY_KIND_ROWS };

/** `n` rows of a small table (id int64, name string, amount decimal(12,2), at timestamp). */
export function manyRows(n: number, offset = 0): Row[] {
  const rows: Row[] = new Array<Row>(n);
  for (let i = 0; i < n; i++) {
    const id = offset + i;
    rows[i] = [BigInt(id), `name ${id}`, `${id % 100000}.${String(id % 100).padStart(2, '0')}`, canonicalTimestamp(`2024-01-01T00:00:${String(id % 60).padStart(2, '0')}.${String(id % 1000000).padStart(6, '0')}`)];
  }
  return rows;
}

export const MANY_COLUMNS: readonly Column[] = [
  column('id', { kind: 'int64' }, false),
  column('name', { kind: 'string' }),
  column('amount', { kind: 'decimal', precision: 12, scale: 2 }),
  column('at', { kind: 'timestamp' }),
];
