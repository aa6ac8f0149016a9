import type { Column } from '../../core/schema.js';
import { type FidelityTable, fidelityOf, mappedAs, type TypeFidelity } from '../../core/type-fidelity.js';

const MARKED = 'a ferry: column comment tells Ferry the kind on the way back';
const NO_NAN = 'NaN and ±Infinity are refused (MySQL has no such values)';

/**
 * What MySQL/MariaDB holds natively (ddl-type.ts). Declared without a
 * connection, so json and uuid are `mapped` on either server: MariaDB's JSON
 * is LONGTEXT with a JSON_VALID check (text kept verbatim) and its uuid type
 * needs 10.7+; MySQL has neither.
 */
const TABLE: FidelityTable = {
  boolean: ['mapped', 'tinyint(1)', `0/1 (MySQL has no boolean type); ${MARKED}`],
  int16: ['exact', 'smallint'],
  int32: ['exact', 'int'],
  int64: ['exact', 'bigint'],
  float32: ['exact', 'float', NO_NAN],
  float64: ['exact', 'double', NO_NAN],
  decimal: ['exact', 'decimal(p,s)', 'p <= 65, s <= 30'],
  string: ['exact', 'varchar(n) / longtext', 'binary NO PAD collation: case and trailing spaces kept'],
  bytes: ['exact', 'varbinary(n) / longblob'],
  json: ['mapped', 'json / longtext', `MariaDB: LONGTEXT with a JSON_VALID check, the text verbatim; MySQL: longtext (its binary JSON would re-render the text); ${MARKED}`],
  uuid: ['mapped', 'uuid / char(36) ascii', `MariaDB 10.7+: the uuid type; MySQL: char(36); ${MARKED}`],
  date: ['exact', 'date', 'years 1000 to 9999'],
  time: ['exact', 'time(6)'],
  timetz: ['mapped', 'varchar(32) ascii', `canonical text with the offset (MySQL has no time with zone); ${MARKED}`],
  timestamp: ['exact', 'datetime(6)', 'years 1000 to 9999; others are refused'],
  timestamptz: ['mapped', 'datetime(6)', `the UTC wall-clock time (MySQL has no zoned timestamp; its TIMESTAMP ends in 2038); ${MARKED}`],
  interval: ['mapped', 'varchar(255) ascii', `ISO 8601 duration text (MySQL has no interval type); ${MARKED}`],
};

/** How a MySQL/MariaDB destination holds a column; a MySQL source's own type is kept (exact). */
export function mysqlTypeFidelity(column: Column): TypeFidelity {
  const { kind, precision, scale = 0 } = column.type;
  if (kind === 'decimal' && !(precision !== undefined && precision >= 1 && precision <= 65 && scale <= 30)) {
    return mappedAs('longtext ascii (comment ferry:decimal)', `exact decimal text: MySQL DECIMAL holds at most 65 digits, 30 after the point; ${MARKED}`);
  }
  return fidelityOf(TABLE, kind);
}
