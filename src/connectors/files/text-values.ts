import type { LogicalKind, Value } from '../../core/schema.js';
import {
  canonicalDecimal,
  canonicalTime,
  canonicalTimestamp,
  canonicalTimestamptz,
  canonicalTimetz,
  canonicalUuid,
} from '../../core/values.js';
import { convertInferredText } from './type-inference.js';

const BOOLEAN_TEXT: Readonly<Record<string, boolean>> = { true: true, false: false, t: true, f: false, '1': true, '0': false, yes: true, no: false };
const INT_RANGES = { int16: 32767, int32: 2147483647 } as const;

function parseSmallInt(kind: 'int16' | 'int32', text: string): number {
  const n = Number(text.trim());
  if (!/^\s*[+-]?\d+\s*$/.test(text) || Math.abs(n) > INT_RANGES[kind] + (n < 0 ? 1 : 0)) {
    throw new TypeError(`not an ${kind}: ${JSON.stringify(text)}`);
  }
  return n;
}

function parseFloatText(text: string): number {
  const t = text.trim();
  if (t === 'NaN') return Number.NaN;
  if (t === 'Infinity' || t === 'inf') return Number.POSITIVE_INFINITY;
  if (t === '-Infinity' || t === '-inf') return Number.NEGATIVE_INFINITY;
  const n = Number(t);
  if (t === '' || Number.isNaN(n)) throw new TypeError(`not a number: ${JSON.stringify(text)}`);
  return n;
}

function parseDate(text: string): string {
  const v = convertInferredText('date', text);
  if (v === undefined && text !== 'infinity' && text !== '-infinity') throw new TypeError(`not a date: ${JSON.stringify(text)}`);
  return text;
}

function parseJsonText(text: string): string {
  JSON.parse(text);
  return text;
}

/**
 * Convert a text to a kind the user asked for in `column_types`. More lenient
 * than inference (`1`/`0`/`yes` for booleans, exponents for decimals) because
 * the user chose the kind; anything that does not parse throws a TypeError.
 * Bytes are read as base64, the form the file destination writes.
 */
export function parseTextAs(kind: LogicalKind, text: string): Value {
  switch (kind) {
    case 'string':
    case 'interval':
      return text;
    case 'boolean': {
      const b = BOOLEAN_TEXT[text.trim().toLowerCase()];
      if (b === undefined) throw new TypeError(`not a boolean: ${JSON.stringify(text)}`);
      return b;
    }
    case 'int16':
    case 'int32':
      return parseSmallInt(kind, text);
    case 'int64':
      if (!/^\s*[+-]?\d+\s*$/.test(text)) throw new TypeError(`not an integer: ${JSON.stringify(text)}`);
      return BigInt(text.trim());
    case 'float32':
    case 'float64':
      return parseFloatText(text);
    case 'decimal':
      return canonicalDecimal(text);
    case 'bytes':
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new TypeError(`not base64: ${JSON.stringify(text.slice(0, 40))}`);
      return Buffer.from(text, 'base64');
    case 'json':
      return parseJsonText(text);
    case 'uuid':
      return canonicalUuid(text);
    case 'date':
      return parseDate(text);
    case 'time':
      return canonicalTime(text);
    case 'timetz':
      return canonicalTimetz(text);
    case 'timestamp':
      return canonicalTimestamp(text);
    case 'timestamptz':
      return canonicalTimestamptz(text);
  }
}
