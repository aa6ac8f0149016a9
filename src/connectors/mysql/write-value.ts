import { DataError } from '../../core/errors.js';
import type { Column, LogicalKind, Value } from '../../core/schema.js';
import { timeToInterval } from './read-value.js';

/**
 * Canonical values -> the text MySQL parses back into the same value, shared
 * by LOAD DATA (escaped field text) and INSERT (quoted literals). Values MySQL
 * cannot hold are refused with the column named, never changed: NaN and
 * ±Infinity, dates and timestamps outside years 0000-9999 or BC, infinity.
 */

/** A value ready for the server: text, raw bytes, or NULL. */
export type WireValue = string | Uint8Array | null;

/** The text (or bytes) MySQL parses back into the value; throws Unwritable for a value MySQL cannot hold. */
export type ValueText = (value: Exclude<Value, null>) => string | Uint8Array;

const PLAIN_DATE = /^\d{4}-\d{2}-\d{2}$/;
const PLAIN_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z?$/;

class Unwritable extends Error {}

function finite(value: Exclude<Value, null>, kind: LogicalKind): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Unwritable(`${String(n)} (MySQL FLOAT/DOUBLE have no NaN or infinities)`);
  // A float32's canonical text (3.4028235e38) can exceed FLT_MAX as a double; its exact value cannot.
  return kind === 'float32' ? Math.fround(n) : n;
}

function dateText(value: Exclude<Value, null>): string {
  const text = String(value);
  if (!PLAIN_DATE.test(text)) throw new Unwritable(`the date ${text} (MySQL dates span 0000-01-01 to 9999-12-31)`);
  return text;
}

function timestampText(value: Exclude<Value, null>): string {
  const text = String(value);
  if (!PLAIN_TIMESTAMP.test(text)) throw new Unwritable(`the timestamp ${text} (MySQL DATETIME spans years 0000-9999)`);
  return text.replace('T', ' ').replace(/Z$/, '');
}

/** `PT-838H-59M-58.999999S` -> `-838:59:58.999999`, for intervals landing in a MySQL TIME column. */
function intervalAsTime(value: Exclude<Value, null>): string {
  const text = String(value);
  const m = /^PT(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?\d+)(\.\d+)?S)?$/.exec(text);
  const parts = m ? [m[1], m[2], m[3]].map((p) => Number(p ?? 0)) : [];
  const negative = parts.some((p) => p < 0) || (m?.[3] ?? '').startsWith('-');
  const abs = parts.map((p) => Math.abs(p));
  const time = m ? `${negative ? '-' : ''}${String(abs[0]).padStart(2, '0')}:${String(abs[1]).padStart(2, '0')}:${String(abs[2]).padStart(2, '0')}${m[4] ?? ''}` : '';
  if (!m || timeToInterval(time) !== text) throw new Unwritable(`the interval ${text} (a MySQL TIME holds hours, minutes and seconds only)`);
  return time;
}

/** The text form of one column's values, by logical kind and the target's native type. */
export function valueTextFor(column: Column, nativeType: string): ValueText {
  switch (column.type.kind) {
    case 'boolean':
      // A BIT(1) column takes the bit as a byte; the text '1' would be the byte 0x31.
      if (/^bit\b/i.test(nativeType)) return (v) => new Uint8Array([v === true ? 1 : 0]);
      return (v) => (v === true ? '1' : '0');
    case 'float32':
    case 'float64': {
      const kind = column.type.kind;
      return (v) => String(finite(v, kind));
    }
    case 'date':
      return /^date\b/i.test(nativeType) ? dateText : (v) => String(v);
    case 'timestamp':
    case 'timestamptz':
      return /^(datetime|timestamp)\b/i.test(nativeType) ? timestampText : (v) => String(v);
    case 'interval':
      return /^time\b/i.test(nativeType) ? intervalAsTime : (v) => String(v);
    case 'bytes':
      return (v) => (v instanceof Uint8Array ? v : Buffer.from(String(v)));
    default:
      return (v) => String(v);
  }
}

/** Run `text` on a value, turning a refusal into a DataError naming the column. */
export function wireValue(text: ValueText, value: Value, column: Column, where: { readonly stream: string; readonly table: string }): WireValue {
  if (value === null) return null;
  try {
    return text(value);
  } catch (error) {
    if (!(error instanceof Unwritable)) throw error;
    throw new DataError(`column "${column.name}" of ${where.table} cannot hold ${error.message}; nothing was published`, {
      stream: where.stream,
      hint: 'filter or transform the value at the source, or choose a destination that can hold it',
    });
  }
}
