import { filterPredicate, type RowFilter } from '../../core/row-filter.js';
import { quoteIdent } from './identifiers.js';
import { cursorLiteral } from './read-sql.js';

/**
 * A row filter as a Postgres predicate. Reads run inside `COPY (SELECT ...)`,
 * which cannot take bind parameters, so each value is a quoted literal cast to
 * the column's type (`'2024-01-01T00:00:00Z'::timestamp with time zone`): the
 * value can never end the literal (quotes are doubled and the session runs with
 * standard_conforming_strings=on) and it compares exactly, as the column's type.
 */
export function filterSql(filter: RowFilter): string {
  return filterPredicate(filter, quoteIdent(filter.column), (value) => cursorLiteral(value, filter.type.kind));
}
