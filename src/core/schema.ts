/**
 * Logical types, columns, streams and batches: the vocabulary every connector
 * and the engine share. No I/O here.
 *
 * Canonical value representation (one per logical type, lossless):
 *
 * | kind          | JS value     | form                                                        |
 * |---------------|--------------|-------------------------------------------------------------|
 * | boolean       | boolean      |                                                             |
 * | int16, int32  | number       | always an integer                                           |
 * | int64         | bigint       | never a float                                               |
 * | float32/64    | number       | NaN and ±Infinity allowed                                   |
 * | decimal       | string       | plain notation, no exponent: "-12.340", "NaN" (Postgres)   |
 * | string        | string       |                                                             |
 * | bytes         | Uint8Array   | a Buffer is fine (it is a Uint8Array)                       |
 * | json          | string       | the JSON text as the source had it (big numbers survive)    |
 * | uuid          | string       | lower case, 8-4-4-4-12                                      |
 * | date          | string       | "YYYY-MM-DD" ("infinity"/"-infinity" where the source has them) |
 * | time          | string       | "HH:MM:SS[.ffffff]"                                         |
 * | timetz        | string       | "HH:MM:SS[.ffffff]+HH:MM"                                   |
 * | timestamp     | string       | "YYYY-MM-DDTHH:MM:SS[.ffffff]" (no zone: wall-clock time)   |
 * | timestamptz   | string       | "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" (an instant, always in UTC) |
 * | interval      | string       | ISO 8601 duration "P1Y2M3DT4H5M6.5S"                        |
 *
 * Fractions of seconds keep up to 6 digits, trailing zeros removed, the dot
 * omitted when the fraction is zero. `null` is SQL NULL for every kind.
 * Types a destination cannot represent natively are documented per connector
 * in its type map; `sourceType` lets a same-engine destination restore the
 * exact native type.
 */

export const LOGICAL_TYPE_KINDS = [
  'boolean',
  'int16',
  'int32',
  'int64',
  'float32',
  'float64',
  'decimal',
  'string',
  'bytes',
  'json',
  'uuid',
  'date',
  'time',
  'timetz',
  'timestamp',
  'timestamptz',
  'interval',
] as const;

export type LogicalKind = (typeof LOGICAL_TYPE_KINDS)[number];

export interface LogicalType {
  readonly kind: LogicalKind;
  /**
   * decimal: total digits (undefined = unconstrained). time, timetz,
   * timestamp, timestamptz: fractional-second digits 0..6 (undefined = 6).
   */
  readonly precision?: number;
  /** decimal: digits after the point. */
  readonly scale?: number;
  /** string/bytes: maximum length where the source declares one. */
  readonly length?: number;
}

/** A value on the data path. See the table above for which JS type each kind uses. */
export type Value = null | boolean | number | bigint | string | Uint8Array;

/** A row is an array of values in the order of its batch's columns. */
export type Row = Value[];

export interface Column {
  readonly name: string;
  readonly type: LogicalType;
  readonly nullable: boolean;
  /** The native type as the source database spells it, e.g. `timestamp(3) with time zone`. */
  readonly sourceType?: string;
  /**
   * The connector type that produced `sourceType` (`postgres`, `sqlite`, ...).
   * A destination of the same engine may use `sourceType` verbatim.
   */
  readonly sourceEngine?: string;
}

/** A table reference. `schema` is absent for engines without schemas (SQLite, files). */
export interface TableRef {
  readonly schema?: string;
  readonly name: string;
}

/** What `discover()` returns for each readable table. */
export interface StreamDescriptor {
  /** Stable stream name: `schema.table`, or `table` where there are no schemas. */
  readonly name: string;
  readonly table: TableRef;
  readonly columns: readonly Column[];
  /** Primary key column names in key order; empty when the table has none. */
  readonly primaryKey: readonly string[];
  /** Planner estimate of row count, when cheaply known. */
  readonly estimatedRows?: number;
}

/**
 * Rows travel in batches sharing one column list. `rows[i][j]` is the value of
 * `columns[j]` in row i.
 */
export interface Batch {
  readonly columns: readonly Column[];
  readonly rows: readonly Row[];
  /** Approximate encoded size of the batch as read, for byte counters. */
  readonly bytes?: number;
}

/** Render a table reference for messages (not for SQL: connectors quote). */
export function tableRefText(ref: TableRef): string {
  return ref.schema === undefined ? ref.name : `${ref.schema}.${ref.name}`;
}

/** Kinds whose `precision` counts fractional-second digits. */
export const TIME_KINDS: ReadonlySet<LogicalKind> = new Set<LogicalKind>(['time', 'timetz', 'timestamp', 'timestamptz']);

export function logicalTypeText(type: LogicalType): string {
  if (type.kind === 'decimal' && type.precision !== undefined) {
    return `decimal(${type.precision},${type.scale ?? 0})`;
  }
  if ((type.kind === 'string' || type.kind === 'bytes') && type.length !== undefined) {
    return `${type.kind}(${type.length})`;
  }
  if (TIME_KINDS.has(type.kind) && type.precision !== undefined) return `${type.kind}(${type.precision})`;
  return type.kind;
}
