import type { WireValue } from './write-value.js';

/**
 * Rows -> LOAD DATA text: fields separated by tabs, rows ended by newlines,
 * NULL as `\N`, and backslash, tab, newline, carriage return and NUL escaped
 * with a backslash, in text and in raw bytes alike (the file is read as
 * `CHARACTER SET binary`, so bytes reach BLOB columns untouched and UTF-8
 * reaches text columns untouched). The string `\N` itself is escaped to `\\N`,
 * so it never reads as NULL.
 */

const TEXT_SPECIAL = /[\\\t\n\r\0]/g;
const TEXT_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };
const BYTE_ESCAPES: ReadonlyMap<number, number> = new Map([
  [0x5c, 0x5c],
  [0x09, 0x74],
  [0x0a, 0x6e],
  [0x0d, 0x72],
  [0x00, 0x30],
]);

function escapeText(text: string): string {
  return TEXT_SPECIAL.test(text) ? text.replace(TEXT_SPECIAL, (ch) => TEXT_ESCAPES[ch] ?? ch) : text;
}

/** Bytes with every special byte preceded by a backslash (and NUL, TAB, LF, CR spelt as letters). */
export function escapeBytes(bytes: Uint8Array): Uint8Array {
  let specials = 0;
  for (const b of bytes) if (BYTE_ESCAPES.has(b)) specials++;
  if (specials === 0) return bytes;
  const out = Buffer.allocUnsafe(bytes.length + specials);
  let j = 0;
  for (const b of bytes) {
    const escaped = BYTE_ESCAPES.get(b);
    if (escaped === undefined) {
      out[j++] = b;
    } else {
      out[j++] = 0x5c;
      out[j++] = escaped;
    }
  }
  return out;
}

/** One buffer of LOAD DATA text for these rows. */
export function encodeLoadDataRows(rows: readonly (readonly WireValue[])[]): Buffer {
  const parts: Buffer[] = [];
  let text = '';
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      if (i > 0) text += '\t';
      const value = row[i] ?? null;
      if (value === null) {
        text += '\\N';
      } else if (typeof value === 'string') {
        text += escapeText(value);
      } else {
        parts.push(Buffer.from(text, 'utf8'));
        text = '';
        const escaped = escapeBytes(value);
        parts.push(Buffer.from(escaped.buffer, escaped.byteOffset, escaped.byteLength));
      }
    }
    text += '\n';
  }
  parts.push(Buffer.from(text, 'utf8'));
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}
