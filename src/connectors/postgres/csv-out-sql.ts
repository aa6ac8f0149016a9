import type { ReadRequest } from '../../core/connector.js';
import type { Column, LogicalKind } from '../../core/schema.js';
import { quoteIdent } from './identifiers.js';
import { selectSql } from './read-sql.js';

/**
 * Kinds whose Postgres text is not the canonical text and is not rendered in
 * SQL here: floats (`1e-07` and `1e+15` where JavaScript prints `1e-7` and
 * `1000000000000000`, and `-0`) and timetz (`+05` where canonical is `+05:00`).
 * Streams with such columns are decoded instead.
 */
const UNRENDERED: ReadonlySet<LogicalKind> = new Set<LogicalKind>(['float32', 'float64', 'timetz']);

/**
 * True when `COPY ... TO (FORMAT csv)` of these columns, rendered by
 * `ferryCsvCopySql` and patched by `CsvRowPatch`, is byte for byte what the
 * files destination writes for the decoded rows. One column is excluded because Postgres quotes a lone `\.`
 * there (its end-of-data marker) where Ferry does not; zero columns because
 * Ferry writes no header then.
 */
export function ferryCsvFits(columns: readonly Column[]): boolean {
  return columns.length >= 2 && columns.every((c) => !UNRENDERED.has(c.type.kind));
}

/**
 * A column as the COPY sends it: booleans as `true`/`false` and bytes as
 * base64 without line breaks, rendered in SQL; every other kind in the
 * server's own text, which is canonical already or (timestamps) is made
 * canonical by `CsvRowPatch` as the rows arrive: rendering those in SQL cost
 * the server 0.1-0.15 s per 1M rows, a tenth of the COPY. See copy-text.ts for
 * what the decoded path makes of the server's text.
 */
function copiedText(column: Column): string {
  const c = quoteIdent(column.name);
  if (column.type.kind === 'boolean') return `${c}::text`;
  return column.type.kind === 'bytes' ? `replace(encode(${c}, 'base64'), E'\\n', '')` : c;
}

/**
 * `COPY (SELECT <columns> FROM (<the read>) r) TO STDOUT (FORMAT csv)`: no
 * header, NULL empty, `""` the empty string; with `CsvRowPatch.for(columns)`
 * applied to its rows, Ferry's canonical CSV.
 */
export function ferryCsvCopySql(request: ReadRequest, defaultSchema: string, columns: readonly Column[]): string {
  const list = columns.map((c) => `${copiedText(c)} AS ${quoteIdent(c.name)}`).join(', ');
  return `COPY (SELECT ${list} FROM (${selectSql(request, defaultSchema)}) r) TO STDOUT (FORMAT csv)`;
}
