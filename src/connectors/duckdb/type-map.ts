import { DuckDBTypeId, type DuckDBType } from '@duckdb/node-api';
import type { Column, LogicalType } from '../../core/schema.js';
import { quoteIdentifier } from './sql-identifier.js';

/**
 * Logical types <-> DuckDB types.
 *
 * | logical       | DuckDB (destination)            | notes                                                   |
 * |---------------|---------------------------------|---------------------------------------------------------|
 * | boolean       | BOOLEAN                         |                                                         |
 * | int16/32/64   | SMALLINT / INTEGER / BIGINT     |                                                         |
 * | float32/64    | FLOAT / DOUBLE                  | NaN, ±Infinity and -0.0 kept                            |
 * | decimal(p,s)  | DECIMAL(p,s) when 1<=p<=38, 0<=s<=p | exact (128-bit)                                     |
 * | decimal other | VARCHAR, comment `ferry:decimal[(p,s)]` | unconstrained or > 38 digits: exact text; DOUBLE would lose digits; the comment lets the source read it back as decimal |
 * | string        | VARCHAR                         | a declared length is not enforced by DuckDB             |
 * | bytes         | BLOB                            |                                                         |
 * | json          | JSON                            | the json extension is built in; text kept verbatim      |
 * | uuid          | UUID                            |                                                         |
 * | date          | DATE                            | BC and ±infinity kept                                   |
 * | time / timetz | TIME / TIMETZ                   | TIMETZ offsets up to ±15:59:59                          |
 * | timestamp(tz) | TIMESTAMP / TIMESTAMPTZ         | µs; 290309 BC .. 294247 AD and ±infinity; values outside are refused (DataError), never clamped |
 * | interval      | INTERVAL                        | months, days, µs, as Postgres                           |
 *
 * Reading other DuckDB types: TINYINT/UTINYINT -> int16, USMALLINT -> int32,
 * UINTEGER -> int64, UBIGINT -> decimal(20,0), HUGEINT/UHUGEINT -> decimal(39,0)
 * (39 digits: the full 128-bit range), BIGNUM -> decimal, TIMESTAMP_S/_MS ->
 * timestamp, TIMESTAMP_NS / TIME_NS -> string (nanoseconds do not fit the
 * canonical microseconds), ENUM/BIT/GEOMETRY -> string,
 * LIST/STRUCT/MAP/ARRAY/UNION/VARIANT -> json text rendered by DuckDB's to_json.
 * A column from another DuckDB table (`sourceEngine: 'duckdb'`) keeps its
 * unsigned/huge integer type.
 */

/** Prefix of the column comment that marks VARCHAR columns holding exact decimals. */
export const DECIMAL_COMMENT = 'ferry:decimal';

const SIMPLE: Partial<Record<LogicalType['kind'], string>> = {
  boolean: 'BOOLEAN',
  int16: 'SMALLINT',
  int32: 'INTEGER',
  int64: 'BIGINT',
  float32: 'FLOAT',
  float64: 'DOUBLE',
  string: 'VARCHAR',
  bytes: 'BLOB',
  json: 'JSON',
  uuid: 'UUID',
  date: 'DATE',
  time: 'TIME',
  timetz: 'TIMETZ',
  timestamp: 'TIMESTAMP',
  timestamptz: 'TIMESTAMPTZ',
  interval: 'INTERVAL',
};

/** Integer types a DuckDB-to-DuckDB copy keeps as they were. */
const KEPT_NATIVE = /^(TINYINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|HUGEINT|UHUGEINT)$/;

export interface DuckdbColumnType {
  readonly sql: string;
  /** Column comment to set (VARCHAR decimals). */
  readonly comment?: string;
}

/** The DuckDB type the destination gives a column. */
export function duckdbTypeOf(column: Column): DuckdbColumnType {
  if (column.sourceEngine === 'duckdb' && column.sourceType && KEPT_NATIVE.test(column.sourceType)) return { sql: column.sourceType };
  const { type } = column;
  if (type.kind !== 'decimal') return { sql: SIMPLE[type.kind] ?? 'VARCHAR' };
  const { precision: p, scale: s = 0 } = type;
  if (p !== undefined && p >= 1 && p <= 38 && s >= 0 && s <= p) return { sql: `DECIMAL(${p},${s})` };
  return { sql: 'VARCHAR', comment: p === undefined ? DECIMAL_COMMENT : `${DECIMAL_COMMENT}(${p},${s})` };
}

/** Column definitions for CREATE TABLE. */
export function columnDefinitions(columns: readonly Column[], withNotNull: boolean): string {
  return columns.map((c) => `${quoteIdentifier(c.name)} ${duckdbTypeOf(c).sql}${withNotNull && !c.nullable ? ' NOT NULL' : ''}`).join(', ');
}

/** How the source reads one column: its logical type and the select expression. */
export interface ReadColumnType {
  readonly type: LogicalType;
  /** Wraps the quoted column in a cast where DuckDB must render the value (json, enum, ns). */
  readonly select: (quoted: string) => string;
}

const plain = (quoted: string): string => quoted;
/**
 * Strings travel as their UTF-8 bytes: the node API decodes VARCHAR with a
 * default TextDecoder, which drops a leading byte-order mark.
 */
const asUtf8 = (quoted: string): string => `encode(${quoted})`;
const asText = (quoted: string): string => `encode(CAST(${quoted} AS VARCHAR))`;
const asJson = (quoted: string): string => `CAST(to_json(${quoted}) AS VARCHAR)`;
const asTimestamp = (quoted: string): string => `CAST(${quoted} AS TIMESTAMP)`;

function parseDecimalComment(comment: string | null | undefined): LogicalType | undefined {
  if (!comment?.startsWith(DECIMAL_COMMENT)) return undefined;
  const m = /\((\d+),(-?\d+)\)$/.exec(comment);
  return m ? { kind: 'decimal', precision: Number(m[1]), scale: Number(m[2]) } : { kind: 'decimal' };
}

const BY_TYPE_ID: Partial<Record<DuckDBTypeId, ReadColumnType>> = {
  [DuckDBTypeId.BOOLEAN]: { type: { kind: 'boolean' }, select: plain },
  [DuckDBTypeId.TINYINT]: { type: { kind: 'int16' }, select: plain },
  [DuckDBTypeId.UTINYINT]: { type: { kind: 'int16' }, select: plain },
  [DuckDBTypeId.SMALLINT]: { type: { kind: 'int16' }, select: plain },
  [DuckDBTypeId.USMALLINT]: { type: { kind: 'int32' }, select: plain },
  [DuckDBTypeId.INTEGER]: { type: { kind: 'int32' }, select: plain },
  [DuckDBTypeId.UINTEGER]: { type: { kind: 'int64' }, select: plain },
  [DuckDBTypeId.BIGINT]: { type: { kind: 'int64' }, select: plain },
  [DuckDBTypeId.UBIGINT]: { type: { kind: 'decimal', precision: 20, scale: 0 }, select: plain },
  [DuckDBTypeId.HUGEINT]: { type: { kind: 'decimal', precision: 39, scale: 0 }, select: plain },
  [DuckDBTypeId.UHUGEINT]: { type: { kind: 'decimal', precision: 39, scale: 0 }, select: plain },
  [DuckDBTypeId.BIGNUM]: { type: { kind: 'decimal' }, select: (q) => `CAST(${q} AS VARCHAR)` },
  [DuckDBTypeId.FLOAT]: { type: { kind: 'float32' }, select: plain },
  [DuckDBTypeId.DOUBLE]: { type: { kind: 'float64' }, select: plain },
  [DuckDBTypeId.VARCHAR]: { type: { kind: 'string' }, select: asUtf8 },
  [DuckDBTypeId.BLOB]: { type: { kind: 'bytes' }, select: plain },
  [DuckDBTypeId.UUID]: { type: { kind: 'uuid' }, select: plain },
  [DuckDBTypeId.DATE]: { type: { kind: 'date' }, select: plain },
  [DuckDBTypeId.TIME]: { type: { kind: 'time' }, select: plain },
  [DuckDBTypeId.TIME_TZ]: { type: { kind: 'timetz' }, select: plain },
  [DuckDBTypeId.TIMESTAMP]: { type: { kind: 'timestamp' }, select: plain },
  [DuckDBTypeId.TIMESTAMP_S]: { type: { kind: 'timestamp' }, select: asTimestamp },
  [DuckDBTypeId.TIMESTAMP_MS]: { type: { kind: 'timestamp' }, select: asTimestamp },
  [DuckDBTypeId.TIMESTAMP_TZ]: { type: { kind: 'timestamptz' }, select: plain },
  [DuckDBTypeId.INTERVAL]: { type: { kind: 'interval' }, select: plain },
};

const NESTED = new Set<DuckDBTypeId>([DuckDBTypeId.LIST, DuckDBTypeId.STRUCT, DuckDBTypeId.MAP, DuckDBTypeId.ARRAY, DuckDBTypeId.UNION, DuckDBTypeId.VARIANT]);

/** How to read a column of this DuckDB type (with its comment, for VARCHAR decimals). */
export function readColumnType(type: DuckDBType, comment?: string | null): ReadColumnType {
  if (type.typeId === DuckDBTypeId.DECIMAL) return { type: { kind: 'decimal', precision: type.width, scale: type.scale }, select: plain };
  if (type.typeId === DuckDBTypeId.VARCHAR) {
    if (type.alias?.toUpperCase() === 'JSON') return { type: { kind: 'json' }, select: plain };
    const decimal = parseDecimalComment(comment);
    if (decimal) return { type: decimal, select: plain };
  }
  if (NESTED.has(type.typeId)) return { type: { kind: 'json' }, select: asJson };
  return BY_TYPE_ID[type.typeId] ?? { type: { kind: 'string' }, select: asText };
}
