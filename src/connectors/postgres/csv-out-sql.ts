import type { ReadRequest } from '../../core/connector.js';
import type { Column, LogicalKind } from '../../core/schema.js';
import { CsvRowPatch } from './csv-row-patch.js';
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
 * `ferryCsvCopySql`, is byte for byte what the files destination writes for the
 * decoded rows. One column is excluded because Postgres quotes a lone `\.`
 * there (its end-of-data marker) where Ferry does not; zero columns because
 * Ferry writes no header then.
 */
export function ferryCsvFits(columns: readonly Column[]): boolean {
  return columns.length >= 2 && columns.every((c) => !UNRENDERED.has(c.type.kind));
}

/**
 * A column in its canonical text (see copy-text.ts for what the decoded path
 * makes of the server's text): booleans `true`/`false`, bytes base64 without
 * line breaks, timestamps with `T` (and `Z`, the session being UTC), BC suffix
 * and infinities kept (they hold no space, `+00` or `TBC`). Other kinds print canonically already.
 */
function canonicalText(column: Column): string {
  const c = quoteIdent(column.name);
  switch (column.type.kind) {
    case 'boolean':
      return `${c}::text`;
    case 'bytes':
      return `replace(encode(${c}, 'base64'), E'\\n', '')`;
    // `2024-01-02 03:04:05.5+00 BC` -> `2024-01-02T03:04:05.5Z BC`. Plain replaces: regexp_replace
    // cost a quarter of a millisecond per value. `+00` is the only offset a UTC session prints.
    // Finite AD values (nearly all) take one replace: the server's CPU for the rendering is what
    // separates this COPY from a plain `SELECT *` one, and each replace cost about 0.1 s per 1M rows.
    case 'timestamp':
      return `CASE WHEN ${c} >= timestamp '0001-01-01' AND ${c} < 'infinity' THEN replace(${c}::text, ' ', 'T') ELSE replace(replace(${c}::text, ' ', 'T'), 'TBC', ' BC') END`;
    case 'timestamptz':
      // The value as a UTC timestamp prints the digits of its timestamptz text (the session is UTC) without `+00`.
      return `CASE WHEN ${c} >= timestamptz '0001-01-01 00:00:00+00' AND ${c} < 'infinity' THEN replace((${c} AT TIME ZONE 'UTC')::text, ' ', 'T') || 'Z' ELSE replace(replace(replace(${c}::text, ' ', 'T'), '+00', 'Z'), 'TBC', ' BC') END`;
    default:
      return c;
  }
}

/**
 * `COPY (SELECT <canonical texts> FROM (<the read>) r) TO STDOUT (FORMAT csv)`:
 * no header, NULL empty, `""` the empty string. With `patched`, booleans and
 * timestamps are left in the server's text, for `CsvRowPatch` to rewrite on
 * the client (cheaper for the server, which bounds this COPY).
 */
export function ferryCsvCopySql(request: ReadRequest, defaultSchema: string, columns: readonly Column[], patched = false): string {
  const list = columns.map((c) => `${patched && CsvRowPatch.renders(c) ? quoteIdent(c.name) : canonicalText(c)} AS ${quoteIdent(c.name)}`).join(', ');
  return `COPY (SELECT ${list} FROM (${selectSql(request, defaultSchema)}) r) TO STDOUT (FORMAT csv)`;
}
