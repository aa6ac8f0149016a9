import { filterPredicate, type RowFilter } from '../../core/row-filter.js';
import { encodeValue } from '../../core/values.js';
import { valueBinderFor, type SqliteParameter } from './bind-value.js';
import { quoteIdentifier } from './sql-identifier.js';

/** A predicate with its bound parameters, in placeholder order. */
export interface SqlPredicate {
  readonly sql: string;
  readonly params: readonly SqliteParameter[];
}

/**
 * The column side of a comparison, so that SQLite compares like the logical
 * type: text timestamps may use a space or a `T` separator (compared in the
 * `T` form the value is bound in); decimals stored as text compare as numbers.
 */
export function comparableColumn(column: string, kind: RowFilter['type']['kind']): { column: string; placeholder: string } {
  const quoted = quoteIdentifier(column);
  if (kind === 'timestamp') return { column: `replace(${quoted}, ' ', 'T')`, placeholder: '?' };
  if (kind === 'decimal') return { column: `CAST(${quoted} AS NUMERIC)`, placeholder: 'CAST(? AS NUMERIC)' };
  return { column: quoted, placeholder: '?' };
}

/** A row filter as a SQLite predicate; every value is a bound parameter. */
export function filterSql(filter: RowFilter): SqlPredicate {
  const params: SqliteParameter[] = [];
  const bind = filter.type.kind === 'decimal' ? encodeValue : valueBinderFor(filter.type);
  const side = comparableColumn(filter.column, filter.type.kind);
  const sql = filterPredicate(filter, side.column, (value) => {
    params.push(bind(value));
    return side.placeholder;
  });
  return { sql, params };
}
