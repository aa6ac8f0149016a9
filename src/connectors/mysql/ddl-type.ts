import type { Column, LogicalKind } from '../../core/schema.js';
import type { ServerFlavor } from './server-flavor.js';
import { nativeLogicalType } from './type-map.js';

/**
 * Logical types -> MySQL column DDL, chosen so no value changes.
 *
 * | logical      | DDL                                   | comment             |
 * |--------------|---------------------------------------|---------------------|
 * | boolean      | tinyint(1)                            | ferry:boolean       |
 * | int16/32/64  | smallint / int / bigint               |                     |
 * | float32/64   | float / double (NaN, ±Infinity refused) |                   |
 * | decimal(p,s) | decimal(p,s) when p <= 65 and s <= 30 | else longtext + ferry:decimal(p,s) (exact text) |
 * | string(n)    | varchar(n) when n <= 255, else longtext; key columns varchar(n <= 768, default 255) |   |
 * | bytes(n)     | varbinary(n) when n <= 255, else longblob; key columns varbinary(n <= 768, default 255) | |
 * | json         | json (MariaDB keeps the text); MySQL: longtext + ferry:json |   |
 * | uuid         | uuid (MariaDB 10.7+); else char(36) ascii + ferry:uuid |           |
 * | date, time   | date, time(6)                         |                     |
 * | timestamp    | datetime(6)                           |                     |
 * | timestamptz  | datetime(6) holding UTC               | ferry:timestamptz   |
 * | timetz       | varchar(32) ascii                     | ferry:timetz        |
 * | interval     | varchar(255) ascii                    | ferry:interval      |
 *
 * Text columns use the table's binary NO PAD utf8mb4 collation, so keys that
 * differ only in case or trailing spaces stay distinct. A column from a MySQL
 * source keeps its exact native type (`int(10) unsigned zerofill`,
 * `enum('a','b')`, `decimal(65,30)`...) when that type reads back as the same
 * logical kind.
 */
export interface ColumnDdl {
  readonly type: string;
  /** A `ferry:` marker telling the source the logical kind, when the type alone does not. */
  readonly comment?: string;
}

/**
 * InnoDB keys hold at most 3072 bytes in all: 768 utf8mb4 characters. A key
 * column without a declared length gets 255 characters (bytes), so a key of
 * three such columns still fits; longer values are refused at load.
 */
const MAX_KEY_CHARS = 768;
const DEFAULT_KEY_LENGTH = 255;
const ASCII = 'CHARACTER SET ascii COLLATE ascii_bin';

const FIXED: Readonly<Partial<Record<LogicalKind, ColumnDdl>>> = {
  boolean: { type: 'tinyint(1)', comment: 'ferry:boolean' },
  int16: { type: 'smallint' },
  int32: { type: 'int' },
  int64: { type: 'bigint' },
  float32: { type: 'float' },
  float64: { type: 'double' },
  date: { type: 'date' },
  time: { type: 'time(6)' },
  timestamp: { type: 'datetime(6)' },
  timestamptz: { type: 'datetime(6)', comment: 'ferry:timestamptz' },
  timetz: { type: `varchar(32) ${ASCII}`, comment: 'ferry:timetz' },
  interval: { type: `varchar(255) ${ASCII}`, comment: 'ferry:interval' },
};

function decimalDdl(precision: number | undefined, scale: number, key: boolean): ColumnDdl {
  if (precision !== undefined && precision >= 1 && precision <= 65 && scale <= 30 && scale <= precision) return { type: `decimal(${precision},${scale})` };
  const mark = precision === undefined ? 'ferry:decimal' : `ferry:decimal(${precision},${scale})`;
  return { type: key ? `varchar(${DEFAULT_KEY_LENGTH}) ${ASCII}` : `longtext ${ASCII}`, comment: mark };
}

function sizedDdl(length: number | undefined, key: boolean, small: string, large: string): string {
  if (key) return `${small}(${Math.min(length ?? DEFAULT_KEY_LENGTH, MAX_KEY_CHARS)})`;
  return length !== undefined && length <= 255 ? `${small}(${length})` : large;
}

/** DDL for a logical type (no native type to reuse). `key`: the column is part of a primary/unique key. */
export function ddlOfLogical(column: Column, flavor: ServerFlavor, key: boolean): ColumnDdl {
  const type = column.type;
  const fixed = FIXED[type.kind];
  if (fixed) return fixed;
  switch (type.kind) {
    case 'decimal':
      return decimalDdl(type.precision, type.scale ?? 0, key);
    case 'string':
      return { type: sizedDdl(type.length, key, 'varchar', 'longtext') };
    case 'bytes':
      return { type: sizedDdl(type.length, key, 'varbinary', 'longblob') };
    case 'json':
      return flavor.jsonKeepsText && !key ? { type: 'json' } : { type: key ? `varchar(${DEFAULT_KEY_LENGTH})` : 'longtext', comment: 'ferry:json' };
    case 'uuid':
      return flavor.uuidType ? { type: 'uuid' } : { type: `char(36) ${ASCII}`, comment: 'ferry:uuid' };
    default:
      return { type: 'longtext' };
  }
}

const UNKEYABLE = /^(tiny|medium|long)?(text|blob)\b|^json\b/i;

/** The native MySQL type to reuse: a MySQL source's type that reads back as the same kind. */
function reusableNativeType(column: Column, key: boolean): string | undefined {
  if (column.sourceEngine !== 'mysql' || column.sourceType === undefined) return undefined;
  const sourceType = column.sourceType;
  if (key && UNKEYABLE.test(sourceType)) return undefined;
  const dataType = (/^\w+/.exec(sourceType)?.[0] ?? '').toLowerCase();
  const native = nativeLogicalType({ dataType, columnType: sourceType, isJson: dataType === 'json' }, { timeType: 'time', datesAsText: false, nullableDates: false });
  return native.kind === column.type.kind ? sourceType : undefined;
}

/** The DDL of one column in a table Ferry creates. */
export function ddlOf(column: Column, flavor: ServerFlavor, key: boolean): ColumnDdl {
  const native = reusableNativeType(column, key);
  const unsupported = (/^json$/i.test(native ?? '') && !flavor.jsonKeepsText) || (/^uuid$/i.test(native ?? '') && !flavor.uuidType);
  if (native !== undefined && !unsupported) return { type: native };
  return ddlOfLogical(column, flavor, key);
}
