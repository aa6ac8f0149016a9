import { TIME_KINDS, type Column, type LogicalKind, type LogicalType } from '../../core/schema.js';

/**
 * Postgres types <-> logical types.
 *
 * Reading (catalog type -> logical kind; value as the canonical form of core/schema.ts):
 *
 * | Postgres                                   | logical        | value read from COPY text                   |
 * |--------------------------------------------|----------------|---------------------------------------------|
 * | boolean                                    | boolean        | `t`/`f`                                     |
 * | smallint / integer                         | int16 / int32  | number                                      |
 * | bigint                                     | int64          | bigint                                      |
 * | real / double precision                    | float32/64     | number (shortest exact text, NaN, ±Infinity)|
 * | numeric(p,s)                               | decimal(p,s)   | text as is (Postgres never uses exponents)  |
 * | numeric(p,-s) (negative scale, PG 15)      | decimal(p+s,0) |                                             |
 * | numeric                                    | decimal        | unconstrained: no precision                 |
 * | text, varchar(n), char(n), name, citext    | string(n)      | char(n) keeps its blank padding             |
 * | bytea                                      | bytes          | Buffer from `\x..` hex                      |
 * | json, jsonb                                | json           | text as the server prints it                |
 * | uuid                                       | uuid           | lower case                                  |
 * | date                                       | date           | `2024-01-02`, `infinity`, `0044-03-15 BC`   |
 * | time[(p)]  (p < 6 kept as precision)        | time           |                                             |
 * | timetz[(p)]                                | timetz         | offset always `+HH:MM`                      |
 * | timestamp[(p)]                             | timestamp      | `T` separator; ` BC` suffix kept            |
 * | timestamptz[(p)]                           | timestamptz    | UTC with `Z` (` BC` suffix kept)            |
 * | interval                                   | interval       | ISO 8601 (IntervalStyle iso_8601)           |
 * | anything else: arrays, enums, domains,     | string         | Postgres's text form; `sourceType` is       |
 * | composites, ranges, inet, cidr, macaddr,   |                | `format_type()`, `sourceEngine` `postgres`  |
 * | money, xml, point, oid, bit, tsvector, ... |                |                                             |
 *
 * Writing (logical -> DDL): when `sourceEngine` is `postgres` and `sourceType`
 * is a built-in type (it resolves to a type in pg_catalog of the destination
 * database), the column is created with `sourceType` verbatim, so Postgres to
 * Postgres keeps varchar(20), numeric(12,2), timestamptz(3), int[], jsonb,
 * inet, money, tsrange... exactly. Otherwise:
 *
 * | logical      | DDL                 | where a type cannot be kept                                   |
 * |--------------|---------------------|---------------------------------------------------------------|
 * | boolean      | boolean             |                                                               |
 * | int16/32/64  | smallint/int/bigint |                                                               |
 * | float32/64   | real/double prec.   |                                                               |
 * | decimal(p,s) | numeric(p,s)        | unconstrained or p > 1000: numeric                            |
 * | string       | text                | lengths are not enforced; user-defined enums, domains and     |
 * |              |                     | composites (and arrays of them) land as text holding their    |
 * |              |                     | Postgres text form: the type may not exist in the destination |
 * | bytes        | bytea               |                                                               |
 * | json         | jsonb               | non-Postgres JSON is normalized by jsonb (key order, spaces)  |
 * | uuid, date, time, timetz, timestamp, timestamptz, interval: the same-named type          |
 */

/** What the catalog (or a result's field description) says about one column type. */
export interface PgTypeRef {
  readonly oid: number;
  readonly typmod: number;
  /** pg_type.typname, to recognise extension types with unstable OIDs (citext). */
  readonly typname: string;
}

/** Built-in type OIDs (stable across every Postgres installation). */
export const PG_OID = {
  bool: 16,
  bytea: 17,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  json: 114,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  timetz: 1266,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const;

const KIND_BY_OID: ReadonlyMap<number, LogicalKind> = new Map<number, LogicalKind>([
  [PG_OID.bool, 'boolean'],
  [PG_OID.int2, 'int16'],
  [PG_OID.int4, 'int32'],
  [PG_OID.int8, 'int64'],
  [PG_OID.float4, 'float32'],
  [PG_OID.float8, 'float64'],
  [PG_OID.numeric, 'decimal'],
  [PG_OID.text, 'string'],
  [PG_OID.varchar, 'string'],
  [PG_OID.bpchar, 'string'],
  [PG_OID.name, 'string'],
  [PG_OID.bytea, 'bytes'],
  [PG_OID.json, 'json'],
  [PG_OID.jsonb, 'json'],
  [PG_OID.uuid, 'uuid'],
  [PG_OID.date, 'date'],
  [PG_OID.time, 'time'],
  [PG_OID.timetz, 'timetz'],
  [PG_OID.timestamp, 'timestamp'],
  [PG_OID.timestamptz, 'timestamptz'],
  [PG_OID.interval, 'interval'],
]);

/** Header size Postgres adds to length and numeric typmods. */
const VARHDRSZ = 4;

function numericType(typmod: number): LogicalType {
  if (typmod < VARHDRSZ) return { kind: 'decimal' };
  const packed = typmod - VARHDRSZ;
  const precision = (packed >> 16) & 0xffff;
  // PG 15 packs the scale as an 11-bit signed number (negative scales round left of the point).
  const scale = ((packed & 0x7ff) ^ 1024) - 1024;
  return scale < 0 ? { kind: 'decimal', precision: precision - scale, scale: 0 } : { kind: 'decimal', precision, scale };
}

/** The logical type of a Postgres column type. */
export function logicalTypeOf(ref: PgTypeRef): LogicalType {
  if (ref.typname === 'citext') return { kind: 'string' };
  const kind = KIND_BY_OID.get(ref.oid) ?? 'string';
  if (kind === 'decimal') return numericType(ref.typmod);
  if ((ref.oid === PG_OID.varchar || ref.oid === PG_OID.bpchar) && ref.typmod >= VARHDRSZ) {
    return { kind, length: ref.typmod - VARHDRSZ };
  }
  // time(p), timestamp(p)...: the typmod is the number of fractional digits (-1: the default, 6).
  if (TIME_KINDS.has(kind) && ref.typmod >= 0 && ref.typmod < 6) return { kind, precision: ref.typmod };
  return { kind };
}

/** A Column as discovered: logical type plus the exact native type for same-engine destinations. */
export function columnOf(name: string, ref: PgTypeRef, formatted: string, nullable: boolean): Column {
  return { name, type: logicalTypeOf(ref), nullable, sourceType: formatted, sourceEngine: 'postgres' };
}

const DDL_BY_KIND: Readonly<Record<LogicalKind, string>> = {
  boolean: 'boolean',
  int16: 'smallint',
  int32: 'integer',
  int64: 'bigint',
  float32: 'real',
  float64: 'double precision',
  decimal: 'numeric',
  string: 'text',
  bytes: 'bytea',
  json: 'jsonb',
  uuid: 'uuid',
  date: 'date',
  time: 'time',
  timetz: 'time with time zone',
  timestamp: 'timestamp',
  timestamptz: 'timestamp with time zone',
  interval: 'interval',
};

/** Highest precision numeric(p,s) accepts. */
const MAX_NUMERIC_PRECISION = 1000;

/** DDL type for a logical type when no native Postgres type can be reused. */
export function ddlTypeOfLogical(type: LogicalType): string {
  if (type.kind === 'decimal' && type.precision !== undefined && type.precision >= 1 && type.precision <= MAX_NUMERIC_PRECISION) {
    return `numeric(${type.precision},${type.scale ?? 0})`;
  }
  if (TIME_KINDS.has(type.kind) && type.precision !== undefined && type.precision < 6) {
    return DDL_BY_KIND[type.kind].replace(/^(timestamp|time)/, `$1(${type.precision})`);
  }
  return DDL_BY_KIND[type.kind];
}

/**
 * DDL type of a column in the destination. `builtinTypes` holds the
 * `sourceType`s that resolve to pg_catalog types in the destination database.
 */
export function ddlTypeOf(column: Column, builtinTypes: ReadonlySet<string>): string {
  if (isNativeColumn(column, builtinTypes)) return column.sourceType ?? ddlTypeOfLogical(column.type);
  return ddlTypeOfLogical(column.type);
}

/** True when the column's Postgres type can be recreated exactly in the destination. */
export function isNativeColumn(column: Column, builtinTypes: ReadonlySet<string>): boolean {
  return column.sourceEngine === 'postgres' && column.sourceType !== undefined && builtinTypes.has(column.sourceType);
}
