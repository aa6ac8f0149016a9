import { LOGICAL_TYPE_KINDS, type Column, type LogicalKind, type LogicalType } from '../../core/schema.js';
import type { TimeType } from './config.js';

/**
 * MySQL/MariaDB types <-> logical types.
 *
 * Reading (information_schema COLUMN_TYPE -> logical kind):
 *
 * | MySQL                                     | logical          | notes                                           |
 * |-------------------------------------------|------------------|-------------------------------------------------|
 * | tinyint, smallint (signed), year          | int16            | tinyint(1) too: it may hold -128..127           |
 * | smallint unsigned, mediumint, int         | int32            |                                                 |
 * | int unsigned, bigint                      | int64            |                                                 |
 * | bigint unsigned                           | decimal(20,0)    | up to 18446744073709551615, exact               |
 * | decimal(p,s)                              | decimal(p,s)     | exact text                                      |
 * | float / double                            | float32/float64  | float read through CAST AS DOUBLE: every bit    |
 * | bit(1) / bit(n)                           | boolean / bytes  | bytes big-endian, as MySQL stores them          |
 * | char, varchar, text, enum, set            | string           | enum/set labels as the server prints them       |
 * | binary, varbinary, blob, geometry         | bytes            |                                                 |
 * | json (MariaDB: longtext + json_valid)     | json             |                                                 |
 * | uuid (MariaDB)                            | uuid             |                                                 |
 * | date / datetime(p) / timestamp(p)         | date / timestamp / timestamptz | zero dates: see `zero_dates`; p < 6 kept as precision |
 * | time(p)                                   | time (or interval with `time_type: interval`) | p < 6 kept as precision |
 *
 * A column comment `ferry:<type>` (written by Ferry's destination) restores
 * kinds MySQL has no type for: `ferry:timestamptz` on DATETIME(6) in UTC,
 * `ferry:boolean` on TINYINT(1), `ferry:decimal` on text, `ferry:timetz`,
 * `ferry:interval`, `ferry:uuid` and `ferry:json` on text.
 */

/** What the catalog (or a result's field description) says about one column. */
export interface MysqlColumnInfo {
  readonly name: string;
  /** information_schema DATA_TYPE, lower case: `int`, `varchar`, `enum`... */
  readonly dataType: string;
  /** information_schema COLUMN_TYPE: `int(10) unsigned zerofill`, `enum('a','b')`... */
  readonly columnType: string;
  readonly nullable: boolean;
  readonly comment: string;
  /** MariaDB JSON: a longtext with a json_valid() check. */
  readonly isJson: boolean;
}

/** Read options that change how columns are typed. */
export interface TypingOptions {
  readonly timeType: TimeType;
  /** `zero_dates: keep_text`: DATE, DATETIME and TIMESTAMP columns are read as their text. */
  readonly datesAsText: boolean;
  /** `zero_dates: null`: date/time columns may read NULL whatever their declaration. */
  readonly nullableDates: boolean;
}

const DATE_KINDS: ReadonlySet<LogicalKind> = new Set(['date', 'timestamp', 'timestamptz']);

const COMMENT_MARK = /^ferry:([a-z0-9]+)(?:\((\d+)(?:,(\d+))?\))?/;

/** The logical type a `ferry:` comment names, if any. */
export function markedType(comment: string): LogicalType | undefined {
  const m = COMMENT_MARK.exec(comment);
  if (!m || !(LOGICAL_TYPE_KINDS as readonly string[]).includes(m[1] ?? '')) return undefined;
  const kind = m[1] as LogicalKind;
  if (kind === 'decimal' && m[2] !== undefined) return { kind, precision: Number(m[2]), scale: Number(m[3] ?? 0) };
  if ((kind === 'string' || kind === 'bytes') && m[2] !== undefined) return { kind, length: Number(m[2]) };
  return { kind };
}

/** The numbers in `type(a,b)`. */
function typeArgs(columnType: string): readonly number[] {
  const m = /^\w+\((\d+)(?:,(\d+))?\)/.exec(columnType);
  return m ? [Number(m[1]), ...(m[2] !== undefined ? [Number(m[2])] : [])] : [];
}

const DATE_TYPES = new Set(['date', 'datetime', 'timestamp']);
const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set']);
const BYTES_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection']);

function integerType(dataType: string, unsigned: boolean): LogicalType | undefined {
  switch (dataType) {
    case 'tinyint':
      return { kind: 'int16' };
    case 'smallint':
      return { kind: unsigned ? 'int32' : 'int16' };
    case 'mediumint':
      return { kind: 'int32' };
    case 'int':
    case 'integer':
      return { kind: unsigned ? 'int64' : 'int32' };
    case 'bigint':
      return unsigned ? { kind: 'decimal', precision: 20, scale: 0 } : { kind: 'int64' };
    case 'year':
      return { kind: 'int16' };
    default:
      return undefined;
  }
}

/** `datetime`, `time(3)`...: fewer than 6 fractional digits are kept as `precision` (no argument means 0). */
function fractionDigits(declared: number | undefined): { precision?: number } {
  const digits = declared ?? 0;
  return digits < 6 ? { precision: digits } : {};
}

/** The logical type of a MySQL column type, before any `ferry:` comment. */
export function nativeLogicalType(info: Pick<MysqlColumnInfo, 'dataType' | 'columnType' | 'isJson'>, options: TypingOptions): LogicalType {
  const dataType = info.dataType.toLowerCase();
  const columnType = info.columnType.toLowerCase();
  const integer = integerType(dataType, /\bunsigned\b/.test(columnType));
  if (integer) return integer;
  const args = typeArgs(columnType);
  if (dataType === 'decimal' || dataType === 'numeric') return { kind: 'decimal', precision: args[0] ?? 10, scale: args[1] ?? 0 };
  if (dataType === 'float') return { kind: 'float32' };
  if (dataType === 'double' || dataType === 'real') return { kind: 'float64' };
  if (dataType === 'bit') return (args[0] ?? 1) === 1 ? { kind: 'boolean' } : { kind: 'bytes' };
  if (DATE_TYPES.has(dataType)) {
    if (options.datesAsText) return { kind: 'string' };
    if (dataType === 'date') return { kind: 'date' };
    return { kind: dataType === 'datetime' ? 'timestamp' : 'timestamptz', ...fractionDigits(args[0]) };
  }
  if (dataType === 'time') return options.timeType === 'time' ? { kind: 'time', ...fractionDigits(args[0]) } : { kind: options.timeType };
  if (dataType === 'json' || info.isJson) return { kind: 'json' };
  if (dataType === 'uuid') return { kind: 'uuid' };
  if (dataType === 'char' || dataType === 'varchar') return args[0] !== undefined ? { kind: 'string', length: args[0] } : { kind: 'string' };
  if (TEXT_TYPES.has(dataType)) return { kind: 'string' };
  if (dataType === 'binary' || dataType === 'varbinary') return args[0] !== undefined ? { kind: 'bytes', length: args[0] } : { kind: 'bytes' };
  if (BYTES_TYPES.has(dataType)) return { kind: 'bytes' };
  return { kind: 'string' };
}

/** A Column as discovered: logical type plus the exact native type for same-engine destinations. */
export function columnOf(info: MysqlColumnInfo, options: TypingOptions): Column {
  const type = markedType(info.comment) ?? nativeLogicalType(info, options);
  const sourceType = info.isJson ? 'json' : info.columnType;
  const nullable = info.nullable || (options.nullableDates && DATE_KINDS.has(type.kind) && DATE_TYPES.has(info.dataType.toLowerCase()));
  return { name: info.name, type, nullable, sourceType, sourceEngine: 'mysql' };
}
