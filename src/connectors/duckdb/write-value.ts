import {
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBIntervalValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeTZValue,
  DuckDBTimeValue,
  DuckDBTypeId,
  DuckDBUUIDValue,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { Value } from '../../core/schema.js';
import { canonicalUuid } from '../../core/values.js';
import { parseDate, parseTime, parseTimestamp, parseTimetz } from '../../core/civil-time.js';
import { parseInterval } from './iso-interval.js';

/**
 * Canonical value -> DuckDB value for a column of a given DuckDB type. The
 * converter is chosen by the *DuckDB* type so a decimal can land in DECIMAL,
 * VARCHAR or HUGEINT alike. Throws TypeError/RangeError on a value the type
 * cannot hold exactly (never rounds or clamps).
 */
export type WriteValue = (value: Value) => DuckDBValue;

function expect<T>(ok: (v: Value) => v is Value & T, kind: string): (v: Value) => T {
  return (v) => {
    if (!ok(v)) throw new TypeError(`expected ${kind}, got ${v instanceof Uint8Array ? 'bytes' : typeof v} ${JSON.stringify(String(v)).slice(0, 60)}`);
    return v;
  };
}

const isString = (v: Value): v is string => typeof v === 'string';
const isNumber = (v: Value): v is number => typeof v === 'number';
const isBoolean = (v: Value): v is boolean => typeof v === 'boolean';
const isIntegral = (v: Value): v is bigint | number | string => typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string';
const asString = expect(isString, 'text');
const asNumber = expect(isNumber, 'a number');
const asBoolean = expect(isBoolean, 'a boolean');

function asBigInt(v: Value): bigint {
  if (!isIntegral(v)) throw new TypeError(`expected an integer, got ${typeof v}`);
  if (typeof v === 'string' && !/^-?\d+$/.test(v)) throw new TypeError(`not an integer: ${JSON.stringify(v)}`);
  return BigInt(v);
}

/**
 * The scaled integer of a decimal of at most 15 digits (integer digits plus
 * the scale) and at most `scale` digits after the point, read without a regex
 * or strings; undefined for anything else (which `decimalOf` reads the long
 * way, refusing what does not fit).
 */
function smallDecimal(text: string, width: number, scale: number): bigint | undefined {
  const n = text.length;
  const negative = n > 0 && text.charCodeAt(0) === 45;
  let value = 0;
  let digits = 0;
  let fraction = -1;
  for (let i = negative ? 1 : 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (fraction >= 0 || digits === 0) return undefined;
      fraction = 0;
      continue;
    }
    if (c < 48 || c > 57) return undefined;
    value = value * 10 + (c - 48);
    digits++;
    if (fraction >= 0) fraction++;
  }
  if (digits === 0 || fraction === 0 || fraction > scale) return undefined;
  const places = fraction < 0 ? 0 : fraction;
  if (digits - places + scale > 15) return undefined;
  const scaled = value * 10 ** (scale - places);
  if (scaled >= 10 ** width) return undefined;
  return BigInt(negative ? -scaled : scaled);
}

/** Scaled integer of a canonical decimal at `scale`; refuses digits beyond the scale or the width. */
export function decimalOf(text: string, width: number, scale: number): DuckDBDecimalValue {
  const small = smallDecimal(text, width, scale);
  return small !== undefined ? new DuckDBDecimalValue(small, width, scale) : anyDecimal(text, width, scale);
}

/** The fast path and the long one it stands in for, for tests that compare them. */
export const decimalPaths = { smallDecimal, anyDecimal } as const;

function anyDecimal(text: string, width: number, scale: number): DuckDBDecimalValue {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new TypeError(`not a finite decimal: ${JSON.stringify(text)}`);
  const fraction = m[3] ?? '';
  if (fraction.length > scale && /[1-9]/.test(fraction.slice(scale))) throw new RangeError(`${text} has more than ${scale} digits after the point`);
  const digits = `${m[2]}${fraction.slice(0, scale).padEnd(scale, '0')}`.replace(/^0+(?=\d)/, '');
  if (digits.length > width) throw new RangeError(`${text} does not fit DECIMAL(${width},${scale})`);
  const value = BigInt(digits);
  return new DuckDBDecimalValue(m[1] === '-' ? -value : value, width, scale);
}

function timestampOf(text: string, zone: boolean): bigint {
  if (text === 'infinity') return DuckDBTimestampValue.PosInf.micros;
  if (text === '-infinity') return DuckDBTimestampValue.NegInf.micros;
  const micros = parseTimestamp(text, zone);
  if (micros > DuckDBTimestampValue.Max.micros || micros < DuckDBTimestampValue.Min.micros) throw new RangeError(`${text} is outside DuckDB's timestamp range`);
  return micros;
}

function dateOf(text: string): DuckDBDateValue {
  if (text === 'infinity') return DuckDBDateValue.PosInf;
  if (text === '-infinity') return DuckDBDateValue.NegInf;
  const days = parseDate(text);
  if (days > DuckDBDateValue.Max.days || days < DuckDBDateValue.Min.days) throw new RangeError(`${text} is outside DuckDB's date range`);
  return new DuckDBDateValue(days);
}

function uuidOf(text: string): DuckDBUUIDValue {
  // Hot path: the hyphenated form needs no rebuild; BigInt rejects any non-hex digit.
  if (text.length === 36 && text[8] === '-' && text[13] === '-' && text[18] === '-' && text[23] === '-') {
    const hex = `${text.slice(0, 8)}${text.slice(9, 13)}${text.slice(14, 18)}${text.slice(19, 23)}${text.slice(24)}`;
    if (!hex.includes('-') && !/[^0-9a-fA-F]/.test(hex)) return DuckDBUUIDValue.fromUint128(BigInt(`0x${hex}`));
  }
  return DuckDBUUIDValue.fromUint128(BigInt(`0x${canonicalUuid(text).replaceAll('-', '')}`));
}

function intervalOf(text: string): DuckDBIntervalValue {
  const parts = parseInterval(text);
  return new DuckDBIntervalValue(parts.months, parts.days, parts.micros);
}

function numberIn(min: number, max: number): WriteValue {
  return (v) => {
    const n = typeof v === 'bigint' ? Number(v) : asNumber(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`${String(v)} does not fit the column's integer type`);
    return n;
  };
}

/** The converter for a staging column of this DuckDB type. */
export function valueWriterFor(type: DuckDBType): WriteValue {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return asBoolean;
    case DuckDBTypeId.TINYINT:
      return numberIn(-128, 127);
    case DuckDBTypeId.UTINYINT:
      return numberIn(0, 255);
    case DuckDBTypeId.SMALLINT:
      return numberIn(-32768, 32767);
    case DuckDBTypeId.USMALLINT:
      return numberIn(0, 65535);
    case DuckDBTypeId.INTEGER:
      return numberIn(-2147483648, 2147483647);
    case DuckDBTypeId.UINTEGER:
      return numberIn(0, 4294967295);
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return asBigInt;
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return asNumber;
    case DuckDBTypeId.DECIMAL: {
      const { width, scale } = type;
      return (v) => decimalOf(asString(v), width, scale);
    }
    case DuckDBTypeId.BLOB:
      return (v) => {
        if (!(v instanceof Uint8Array)) throw new TypeError(`expected bytes, got ${typeof v}`);
        return new DuckDBBlobValue(v);
      };
    case DuckDBTypeId.UUID:
      return (v) => uuidOf(asString(v));
    case DuckDBTypeId.DATE:
      return (v) => dateOf(asString(v));
    case DuckDBTypeId.TIME:
      return (v) => new DuckDBTimeValue(parseTime(asString(v)));
    case DuckDBTypeId.TIME_TZ:
      return (v) => {
        const { micros, offset } = parseTimetz(asString(v));
        if (Math.abs(offset) > DuckDBTimeTZValue.MaxOffset) throw new RangeError(`offset of ${String(v)} is beyond DuckDB's ±15:59:59`);
        return DuckDBTimeTZValue.fromMicrosAndOffset(micros, offset);
      };
    case DuckDBTypeId.TIMESTAMP:
      return (v) => new DuckDBTimestampValue(timestampOf(asString(v), false));
    case DuckDBTypeId.TIMESTAMP_TZ:
      return (v) => new DuckDBTimestampTZValue(timestampOf(asString(v), true));
    case DuckDBTypeId.INTERVAL:
      return (v) => intervalOf(asString(v));
    default:
      return (v) => (typeof v === 'bigint' || typeof v === 'number' ? String(v) : asString(v));
  }
}
