import { DataError } from '../../core/errors.js';
import type { TableRef } from '../../core/schema.js';

/**
 * Quoting of names and literals. Every identifier in generated SQL goes
 * through `quoteIdent`: mixed case, spaces, quotes and unicode stay exactly
 * what the catalog says.
 */

/** `"My ""odd"" name"` */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."table"` (or `"table"` without a schema). */
export function quoteTable(ref: TableRef): string {
  return ref.schema === undefined ? quoteIdent(ref.name) : `${quoteIdent(ref.schema)}.${quoteIdent(ref.name)}`;
}

/** A comma-separated list of quoted column names. */
export function quoteColumns(names: readonly string[]): string {
  return names.map(quoteIdent).join(', ');
}

/**
 * A string literal for a session with standard_conforming_strings=on (which
 * every Ferry connection sets): only the quote needs doubling. NUL cannot be
 * represented in Postgres text at all, so it is refused rather than truncated.
 */
export function quoteLiteral(text: string): string {
  if (text.includes('\0')) throw new DataError('a value with a NUL character cannot be used in a Postgres literal');
  return `'${text.replaceAll("'", "''")}'`;
}

/** Byte length limit of Postgres identifiers (NAMEDATALEN - 1). */
export const MAX_IDENTIFIER_BYTES = 63;

/** Shorten a generated name to what Postgres keeps, cutting on a character boundary. */
export function fitIdentifier(name: string): string {
  if (Buffer.byteLength(name) <= MAX_IDENTIFIER_BYTES) return name;
  let out = '';
  for (const ch of name) {
    if (Buffer.byteLength(out + ch) > MAX_IDENTIFIER_BYTES) break;
    out += ch;
  }
  return out;
}
