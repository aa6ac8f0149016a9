import type { Column, Row, Value } from '../../../core/schema.js';
import { canonicalTimestamp } from '../../../core/values.js';
import { quoteIdent } from '../identifiers.js';

/**
 * The torture suite's independent view of values: what the server prints for
 * a column (CAST AS CHAR, HEX), turned into the value Ferry must produce, and
 * JSON normalized the way Postgres jsonb renders it. Not a test itself.
 */

export const isBit = (column: Column): boolean => /^bit/i.test(column.sourceType ?? '') && column.type.kind === 'bytes';

/** What the server prints for a column, as text Ferry's value is checked against. */
export function serverExpression(column: Column): string {
  const name = quoteIdent(column.name);
  if (isBit(column)) return `CAST(${name} + 0 AS CHAR)`;
  if (column.type.kind === 'bytes') return `HEX(${name})`;
  if (column.type.kind === 'boolean') return `CAST(${name} + 0 AS CHAR)`;
  if (column.type.kind === 'float32') return `CAST(${name} + 0e0 AS CHAR)`;
  return `CAST(${name} AS CHAR)`;
}

const ISO_TIME = /^PT(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?\d+)(?:\.(\d+))?S)?$/;

/** Microseconds of an ISO `PT..H..M..S` interval or of a MySQL TIME text: the two must agree. */
export function micros(text: string): bigint {
  const iso = ISO_TIME.exec(text);
  if (iso) {
    const sign = /-/.test(iso[3] ?? '') ? -1n : 1n;
    const fraction = BigInt((iso[4] ?? '').padEnd(6, '0') || '0');
    return BigInt(iso[1] ?? 0) * 3_600_000_000n + BigInt(iso[2] ?? 0) * 60_000_000n + BigInt(iso[3] ?? 0) * 1_000_000n + sign * fraction;
  }
  const m = /^(-?)(\d+):(\d+):(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new Error(`not a time: ${text}`);
  const total = BigInt(m[2] ?? 0) * 3_600_000_000n + BigInt(m[3] ?? 0) * 60_000_000n + BigInt(m[4] ?? 0) * 1_000_000n + BigInt((m[5] ?? '').padEnd(6, '0') || '0');
  return m[1] === '-' ? -total : total;
}

const isZeroDate = (text: string): boolean => /^\d{4}-(00-\d{2}|\d{2}-00)/.test(text);

/** The value Ferry must produce for the server's text (zero dates read as NULL under LENIENT). */
export function expectedValue(column: Column, text: string | null): Value {
  if (text === null) return null;
  switch (column.type.kind) {
    case 'bytes':
      return isBit(column) ? text : text.toLowerCase();
    case 'boolean':
      return text !== '0';
    case 'int16':
    case 'int32':
      return Number(text);
    case 'int64':
      return BigInt(text);
    case 'float32':
      return Math.fround(Number(text));
    case 'float64':
      return Number(text);
    case 'uuid':
      return text.toLowerCase();
    case 'decimal':
      // ZEROFILL pads the printed number; the value is the number.
      return text.replace(/^(-?)0+(?=\d)/, '$1');
    case 'date':
      if (isZeroDate(text)) return null;
      return text.startsWith('0000-') ? `0001${text.slice(4)} BC` : text;
    case 'timestamp':
    case 'timestamptz':
      return isZeroDate(text) ? null : `${canonicalTimestamp(text)}${column.type.kind === 'timestamptz' ? 'Z' : ''}`;
    case 'interval':
      return micros(text);
    default:
      return text;
  }
}

/** Ferry's value in the form `expectedValue` produces. */
export function comparable(column: Column, value: Value): Value {
  if (value === null) return null;
  // BIT(n) bytes are the big-endian number the server prints in decimal.
  if (value instanceof Uint8Array && isBit(column)) return BigInt(`0x${Buffer.from(value).toString('hex') || '0'}`).toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (column.type.kind === 'float32') return Math.fround(Number(value));
  if (column.type.kind === 'interval') return micros(String(value));
  return value;
}

/** JSON text with whitespace and key order normalized (numbers kept as written), as Postgres jsonb renders it. */
export function normalizeJson(text: string): string {
  let at = 0;
  const skip = (): void => {
    while (/\s/.test(text[at] ?? '')) at++;
  };
  const value = (): string => {
    skip();
    const ch = text[at];
    if (ch === '{' || ch === '[') {
      at++;
      const items: string[] = [];
      skip();
      while (text[at] !== (ch === '{' ? '}' : ']')) {
        items.push(ch === '{' ? `${value()}:${(skip(), at++, value())}` : value());
        skip();
        if (text[at] === ',') at++;
        skip();
      }
      at++;
      return ch === '{' ? `{${items.sort().join(',')}}` : `[${items.join(',')}]`;
    }
    const m = /^"(?:[^"\\]|\\.)*"|^[^,\]}\s]+/.exec(text.slice(at));
    at += m?.[0].length ?? 1;
    return m?.[0] ?? '';
  };
  return value();
}

export function jsonNormalized(read: { columns: readonly Column[]; rows: Row[] }): Row[] {
  return read.rows.map((row) => row.map((v, i) => (read.columns[i]?.type.kind === 'json' && typeof v === 'string' ? normalizeJson(v) : v)));
}

