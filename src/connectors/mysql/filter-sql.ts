import { filterPredicate, type RowFilter } from '../../core/row-filter.js';
import { quoteIdent } from './identifiers.js';
import { cursorLiteral } from './read-sql.js';

/**
 * A row filter as a MySQL predicate. Reads stream one text query (as cursor
 * bounds do), so each value is a literal MySQL compares exactly with the
 * column's type: decimals unquoted, bytes as hex, text escaped for a session
 * without NO_BACKSLASH_ESCAPES (see quoteLiteral). String equality follows the
 * column's collation, as any query on that column would.
 */
export function filterSql(filter: RowFilter): string {
  return filterPredicate(filter, quoteIdent(filter.column), (value) => cursorLiteral(value, filter.type.kind));
}
