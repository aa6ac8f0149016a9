import { DataError } from '../../core/errors.js';
import type { Column, Value } from '../../core/schema.js';
import { canonicalTimestamptz, canonicalTimetz } from '../../core/values.js';

/**
 * COPY text format, both ways: server text -> canonical values (reading) and
 * canonical values -> COPY text (writing). Rows end with `\n`, fields are
 * separated by a tab, `\N` is NULL, and backslash escapes protect tabs,
 * newlines, carriage returns and backslashes inside values.
 *
 * The session settings in config.ts fix the server's output dialect, so most
 * types need no parsing at all: numeric, uuid, date, time, interval and json
 * text are already canonical.
 */

/** Turns the (unescaped) text of one non-null field into its canonical value. */
export type FieldDecoder = (text: string) => Value;

const ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** Undo COPY text escapes (`\\`, `\t`, `\n`, `\r`, ..., octal `\123`, hex `\x7f`). */
export function unescapeCopyText(field: string): string {
  let out = '';
  let from = 0;
  let at = field.indexOf('\\');
  while (at >= 0) {
    out += field.slice(from, at);
    const next = field[at + 1] ?? '';
    let used = 2;
    if (next in ESCAPES) out += ESCAPES[next];
    else if (next >= '0' && next <= '7') {
      const m = /^[0-7]{1,3}/.exec(field.slice(at + 1, at + 4))?.[0] ?? '0';
      out += String.fromCharCode(parseInt(m, 8));
      used = 1 + m.length;
    } else if (next === 'x' && /^[0-9a-fA-F]/.test(field[at + 2] ?? '')) {
      const m = /^[0-9a-fA-F]{1,2}/.exec(field.slice(at + 2, at + 4))?.[0] ?? '0';
      out += String.fromCharCode(parseInt(m, 16));
      used = 2 + m.length;
    } else out += next;
    from = at + used;
    at = field.indexOf('\\', from);
  }
  return out + field.slice(from);
}

const identity: FieldDecoder = (text) => text;

/** `2024-01-02 03:04:05.5` -> `2024-01-02T03:04:05.5` (BC suffix and infinities kept). */
function decodeTimestamp(text: string): string {
  const space = text.indexOf(' ');
  if (space < 0 || text.charCodeAt(space + 1) > 57) return text;
  return `${text.slice(0, space)}T${text.slice(space + 1)}`;
}

/** `2024-01-02 03:04:05.5+00` -> `2024-01-02T03:04:05.5Z`; the session is UTC so the offset is `+00`. */
function decodeTimestamptz(text: string): string {
  const bc = text.endsWith(' BC');
  const body = bc ? text.slice(0, -3) : text;
  const space = body.indexOf(' ');
  if (space < 0) return text;
  if (body.endsWith('+00')) return `${body.slice(0, space)}T${body.slice(space + 1, -3)}Z${bc ? ' BC' : ''}`;
  return canonicalTimestamptz(text);
}

/** `04:05:06+05` -> `04:05:06+05:00`; `+05:45` and `+05:45:10` are already canonical. */
function decodeTimetz(text: string): string {
  const sign = text.charCodeAt(text.length - 3);
  if (sign === 43 || sign === 45) return `${text}:00`;
  return canonicalTimetz(text);
}

/** `\x0a0b` -> bytes. */
function decodeBytea(text: string): Uint8Array {
  if (!text.startsWith('\\x')) throw new TypeError('bytea not in hex output format');
  return Buffer.from(text.slice(2), 'hex');
}

/** How to decode each column's text, by logical kind. */
export function decoderFor(column: Column): FieldDecoder {
  switch (column.type.kind) {
    case 'boolean':
      return (text) => text === 't';
    case 'int16':
    case 'int32':
    case 'float32':
    case 'float64':
      return Number;
    case 'int64':
      return BigInt;
    case 'bytes':
      return decodeBytea;
    case 'timestamp':
      return decodeTimestamp;
    case 'timestamptz':
      return decodeTimestamptz;
    case 'timetz':
      return decodeTimetz;
    default:
      return identity;
  }
}

/** Turns one non-null canonical value into COPY text. */
export type FieldEncoder = (value: Exclude<Value, null>) => string;

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPE_ALL = /[\\\t\n\r]/g;
const ESCAPED: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** Escape a string for COPY text; refuse what Postgres text cannot hold. */
export function escapeCopyText(text: string): string {
  if (!(text as string & { isWellFormed(): boolean }).isWellFormed()) {
    throw new TypeError('a string with an unpaired UTF-16 surrogate cannot be stored as UTF-8');
  }
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPE_ALL, (c) => ESCAPED[c] ?? c) : text;
}

/** Encode any canonical value: bytes as `\\x` hex, -0 kept, strings escaped. */
export const encodeField: FieldEncoder = (value) => {
  switch (typeof value) {
    case 'string':
      return escapeCopyText(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 't' : 'f';
    default:
      return `\\\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  }
};

export interface EncodeContext {
  readonly stream: string;
  readonly columns: readonly Column[];
}

/** COPY text of a batch of rows (one string, so one CopyData message per batch). */
export function encodeRows(rows: readonly (readonly Value[])[], ctx: EncodeContext): string {
  const width = ctx.columns.length;
  let out = '';
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] ?? [];
    if (row.length !== width) {
      throw new DataError(`row ${i + 1} of a batch has ${row.length} values for ${width} columns`, { stream: ctx.stream });
    }
    let line = '';
    for (let j = 0; j < width; j++) {
      const value = row[j] ?? null;
      if (j > 0) line += '\t';
      if (value === null) line += '\\N';
      else line += encodeChecked(value, i, j, ctx);
    }
    out += `${line}\n`;
  }
  return out;
}

function encodeChecked(value: Exclude<Value, null>, row: number, col: number, ctx: EncodeContext): string {
  try {
    return encodeField(value);
  } catch (error) {
    const name = ctx.columns[col]?.name ?? String(col);
    throw new DataError(`row ${row + 1} of a batch, column "${name}": ${(error as Error).message}`, { stream: ctx.stream, cause: error });
  }
}
