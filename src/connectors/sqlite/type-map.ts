import type { Column, LogicalType } from '../../core/schema.js';

/**
 * Logical types <-> SQLite declared types.
 *
 * SQLite stores values by storage class (NULL, INTEGER, REAL, TEXT, BLOB) and
 * converts them by the column's *affinity*, derived from the declared type's
 * name. NUMERIC affinity (any name without INT/CHAR/CLOB/TEXT/BLOB/REAL/FLOA/DOUB,
 * e.g. `DECIMAL(10,2)`, `JSON`, `DATE`) turns the text '12.30' into the REAL 12.3
 * and the JSON text '123' into an INTEGER. So the destination declares names whose
 * affinity keeps the canonical value exact and whose spelling tells the source
 * the logical type on the way back:
 *
 * | logical      | declared (destination)  | affinity | stored as                                   |
 * |--------------|-------------------------|----------|---------------------------------------------|
 * | boolean      | BOOLEAN                 | NUMERIC  | INTEGER 0/1                                 |
 * | int16        | SMALLINT                | INTEGER  | INTEGER                                     |
 * | int32        | INT                     | INTEGER  | INTEGER                                     |
 * | int64        | BIGINT                  | INTEGER  | INTEGER (read with safeIntegers: bigint)    |
 * | float32      | FLOAT4                  | REAL     | REAL; NaN as TEXT 'NaN' (1)                 |
 * | float64      | DOUBLE                  | REAL     | REAL; NaN as TEXT 'NaN' (1)                 |
 * | decimal(p,s) | DECIMAL_TEXT(p,s)       | TEXT     | canonical decimal text                      |
 * | string(n)    | TEXT / VARCHAR(n)       | TEXT     | TEXT                                        |
 * | bytes        | BLOB                    | BLOB     | BLOB                                        |
 * | json         | JSON_TEXT               | TEXT     | the JSON text as given                      |
 * | uuid         | UUID_TEXT               | TEXT     | canonical lower-case uuid                   |
 * | date         | DATE_TEXT               | TEXT     | 'YYYY-MM-DD' (also 'infinity', BC suffix)   |
 * | time         | TIME_TEXT               | TEXT     | canonical time                              |
 * | timetz       | TIMETZ_TEXT             | TEXT     | canonical time with offset                  |
 * | timestamp    | TIMESTAMP_TEXT          | TEXT     | canonical 'YYYY-MM-DDTHH:MM:SS[.ffffff]'    |
 * | timestamptz  | TIMESTAMPTZ_TEXT        | TEXT     | canonical UTC '...Z'                        |
 * | interval     | INTERVAL_TEXT           | TEXT     | ISO 8601 duration as given                  |
 *
 * (1) SQLite binds a NaN double as NULL, so NaN is stored as the TEXT 'NaN'
 * (REAL affinity leaves non-numeric text alone) and read back as NaN.
 * ±Infinity are real REALs. SQLite has no negative zero: a REAL column stores
 * -0.0 as the integer 0, so -0.0 reads back as 0 (the one float value that changes).
 *
 * Reading tables people made by hand, the source also understands INTEGER, INT,
 * BIGINT, TINYINT, TEXT, VARCHAR(n), CHAR(n), CLOB, REAL, DOUBLE [PRECISION],
 * FLOAT, NUMERIC(p,s)/DECIMAL(p,s), BOOLEAN, DATE, DATETIME, TIMESTAMP[TZ],
 * TIME, BLOB, JSON, UUID and no type at all (read as string, see read-value.ts);
 * any other name falls back to its affinity.
 */

/** The SQLite column affinity a declared type yields (SQLite's rules, in order). */
export type Affinity = 'INTEGER' | 'TEXT' | 'BLOB' | 'REAL' | 'NUMERIC';

export function affinityOf(declared: string): Affinity {
  const t = declared.toUpperCase();
  if (t.includes('INT')) return 'INTEGER';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'TEXT';
  if (t.includes('BLOB') || t.trim() === '') return 'BLOB';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'REAL';
  return 'NUMERIC';
}

const DECLARED: Record<LogicalType['kind'], string> = {
  boolean: 'BOOLEAN',
  int16: 'SMALLINT',
  int32: 'INT',
  int64: 'BIGINT',
  float32: 'FLOAT4',
  float64: 'DOUBLE',
  decimal: 'DECIMAL_TEXT',
  string: 'TEXT',
  bytes: 'BLOB',
  json: 'JSON_TEXT',
  uuid: 'UUID_TEXT',
  date: 'DATE_TEXT',
  time: 'TIME_TEXT',
  timetz: 'TIMETZ_TEXT',
  timestamp: 'TIMESTAMP_TEXT',
  timestamptz: 'TIMESTAMPTZ_TEXT',
  interval: 'INTERVAL_TEXT',
};

/** The declared type the destination gives a column. */
export function declaredTypeOf(column: Column): string {
  const { type } = column;
  if (type.kind === 'decimal' && type.precision !== undefined) return `DECIMAL_TEXT(${type.precision},${type.scale ?? 0})`;
  if (type.kind === 'string' && type.length !== undefined) return `VARCHAR(${type.length})`;
  return DECLARED[type.kind];
}

/**
 * A declared-type name pattern and the logical type it reads as. First match
 * wins; the patterns match the name without its `(p,s)` arguments.
 */
const BY_NAME: readonly (readonly [RegExp, LogicalType['kind']])[] = [
  [/^(BOOLEAN|BOOL)$/, 'boolean'],
  [/^(SMALLINT|INT2|TINYINT|INT16)$/, 'int16'],
  [/^(INT|INT4|MEDIUMINT|INT32)$/, 'int32'],
  [/^(FLOAT4|FLOAT32)$/, 'float32'],
  [/^(REAL|DOUBLE|DOUBLE PRECISION|FLOAT|FLOAT8|FLOAT64)$/, 'float64'],
  [/^(DECIMAL_TEXT|NUMERIC|DECIMAL|NUMBER|DECIMAL TEXT)$/, 'decimal'],
  [/^(JSON_TEXT|JSON|JSONB)$/, 'json'],
  [/^(UUID_TEXT|UUID)$/, 'uuid'],
  [/^(DATE_TEXT|DATE)$/, 'date'],
  [/^(TIME_TEXT|TIME|TIME WITHOUT TIME ZONE)$/, 'time'],
  [/^(TIMETZ_TEXT|TIMETZ|TIME WITH TIME ZONE)$/, 'timetz'],
  [/^(TIMESTAMP_TEXT|TIMESTAMP|DATETIME|TIMESTAMP WITHOUT TIME ZONE)$/, 'timestamp'],
  [/^(TIMESTAMPTZ_TEXT|TIMESTAMPTZ|DATETIMETZ|TIMESTAMP WITH TIME ZONE)$/, 'timestamptz'],
  [/^(INTERVAL_TEXT|INTERVAL)$/, 'interval'],
];

const BY_AFFINITY: Record<Affinity, LogicalType['kind']> = {
  INTEGER: 'int64',
  TEXT: 'string',
  BLOB: 'bytes',
  REAL: 'float64',
  NUMERIC: 'decimal',
};

/** The logical type a column with this declared type is read as. An empty type reads as string. */
export function logicalTypeOf(declared: string | null | undefined): LogicalType {
  const text = (declared ?? '').trim().toUpperCase().replace(/\s+/g, ' ');
  if (text === '') return { kind: 'string' };
  const m = /^([^(]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?\))?$/.exec(text);
  const name = m?.[1] ?? text;
  const first = m?.[2] === undefined ? undefined : Number(m[2]);
  const second = m?.[3] === undefined ? undefined : Number(m[3]);
  const kind = BY_NAME.find(([pattern]) => pattern.test(name))?.[1] ?? BY_AFFINITY[affinityOf(text)];
  if (kind === 'decimal' && first !== undefined) return { kind, precision: first, scale: second ?? 0 };
  if (kind === 'string' && first !== undefined) return { kind, length: first };
  return { kind };
}
