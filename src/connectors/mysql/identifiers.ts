import type { TableRef } from '../../core/schema.js';

/**
 * Quoting of names and literals. Every identifier in generated SQL goes
 * through `quoteIdent`: backticks, dots, quotes and unicode in names stay
 * exactly what the catalog says.
 */

/** `` `My ``odd`` name` `` */
export function quoteIdent(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** `` `db`.`table` `` (or `` `table` `` without a database). */
export function quoteTable(ref: TableRef): string {
  return ref.schema === undefined ? quoteIdent(ref.name) : `${quoteIdent(ref.schema)}.${quoteIdent(ref.name)}`;
}

/** A comma-separated list of quoted column names. */
export function quoteColumns(names: readonly string[]): string {
  return names.map(quoteIdent).join(', ');
}

const LITERAL_ESCAPES: Readonly<Record<string, string>> = {
  '\0': '\\0',
  '\n': '\\n',
  '\r': '\\r',
  '\x1a': '\\Z',
  "'": "\\'",
  '\\': '\\\\',
};

/**
 * A string literal for a session without NO_BACKSLASH_ESCAPES (every Ferry
 * session sets its sql_mode): quote, backslash, NUL, CR, LF and Ctrl-Z escaped.
 */
export function quoteLiteral(text: string): string {
  return `'${text.replace(/[\0\n\r\x1a'\\]/g, (ch) => LITERAL_ESCAPES[ch] ?? ch)}'`;
}

/** A hex literal for bytes: `X'0aff'`. */
export function hexLiteral(bytes: Uint8Array): string {
  return `X'${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}'`;
}

/** Longest identifier MySQL accepts, in characters. */
export const MAX_IDENTIFIER_CHARS = 64;
