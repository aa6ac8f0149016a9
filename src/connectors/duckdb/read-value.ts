import {
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBIntervalValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeTZValue,
  DuckDBTimeValue,
  DuckDBUUIDValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { LogicalType, Value } from '../../core/schema.js';
import { formatDate, formatTime, formatTimestamp, formatTimetz } from '../../core/civil-time.js';
import { formatInterval } from './iso-interval.js';

/** DuckDB value (as the node API returns it) -> canonical value of a logical type. */
export type ReadValue = (value: DuckDBValue) => Value;

function unexpected(kind: string, value: DuckDBValue): never {
  throw new TypeError(`DuckDB returned ${value?.constructor?.name ?? typeof value} for a ${kind} column`);
}

/** Exact text of a scaled 128-bit decimal, trailing zeros kept to the scale. */
export function decimalText(value: DuckDBDecimalValue): string {
  const negative = value.value < 0n;
  const digits = (negative ? -value.value : value.value).toString().padStart(value.scale + 1, '0');
  const int = digits.slice(0, digits.length - value.scale);
  const text = value.scale > 0 ? `${int}.${digits.slice(digits.length - value.scale)}` : int;
  return negative ? `-${text}` : text;
}

const readDecimal: ReadValue = (v) => {
  if (v instanceof DuckDBDecimalValue) return decimalText(v);
  if (typeof v === 'bigint' || typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  return unexpected('decimal', v);
};

const readInt64: ReadValue = (v) => (typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : unexpected('int64', v));
/**
 * A FLOAT arrives as the double of its 32-bit value (1.1 -> 1.100000023841858).
 * Canonical float32 values are the shortest decimal that round-trips in 32 bits
 * (what Postgres prints), read as a number: 1.1.
 */
export function shortestFloat32(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(x.toPrecision(digits));
    if (Math.fround(candidate) === x) return candidate;
  }
  return x;
}

const readFloat32: ReadValue = (v) => (typeof v === 'number' ? shortestFloat32(v) : unexpected('float32', v));
const readNumber: ReadValue = (v) => (typeof v === 'number' ? v : unexpected('number', v));
const readBoolean: ReadValue = (v) => (typeof v === 'boolean' ? v : unexpected('boolean', v));
const readText: ReadValue = (v) => (typeof v === 'string' ? v : unexpected('text', v));
/** Keeps a leading byte-order mark, which is part of the value. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
const readString: ReadValue = (v) => (v instanceof DuckDBBlobValue ? utf8.decode(v.bytes) : readText(v));
const readBytes: ReadValue = (v) => (v instanceof DuckDBBlobValue ? v.bytes : unexpected('bytes', v));
const readUuid: ReadValue = (v) => (v instanceof DuckDBUUIDValue ? v.toString() : unexpected('uuid', v));

const readDate: ReadValue = (v) => {
  if (!(v instanceof DuckDBDateValue)) return unexpected('date', v);
  if (v.days === DuckDBDateValue.PosInf.days) return 'infinity';
  if (v.days === DuckDBDateValue.NegInf.days) return '-infinity';
  return formatDate(v.days);
};

function timestampText(micros: bigint, zone: boolean): string {
  if (micros === DuckDBTimestampValue.PosInf.micros) return 'infinity';
  if (micros === DuckDBTimestampValue.NegInf.micros) return '-infinity';
  return formatTimestamp(micros, zone);
}

const readTimestamp: ReadValue = (v) => (v instanceof DuckDBTimestampValue ? timestampText(v.micros, false) : unexpected('timestamp', v));
const readTimestamptz: ReadValue = (v) => (v instanceof DuckDBTimestampTZValue ? timestampText(v.micros, true) : unexpected('timestamptz', v));
const readTime: ReadValue = (v) => (v instanceof DuckDBTimeValue ? formatTime(v.micros) : unexpected('time', v));
const readTimetz: ReadValue = (v) => (v instanceof DuckDBTimeTZValue ? formatTimetz(v.micros, v.offset) : unexpected('timetz', v));
const readInterval: ReadValue = (v) => (v instanceof DuckDBIntervalValue ? formatInterval(v) : unexpected('interval', v));

/** The reader for a column of this logical type (after the source's select casts). */
export function valueReaderFor(type: LogicalType): ReadValue {
  switch (type.kind) {
    case 'boolean':
      return readBoolean;
    case 'float32':
      return readFloat32;
    case 'int16':
    case 'int32':
    case 'float64':
      return readNumber;
    case 'int64':
      return readInt64;
    case 'decimal':
      return readDecimal;
    case 'string':
      return readString;
    case 'json':
      return readText;
    case 'bytes':
      return readBytes;
    case 'uuid':
      return readUuid;
    case 'date':
      return readDate;
    case 'time':
      return readTime;
    case 'timetz':
      return readTimetz;
    case 'timestamp':
      return readTimestamp;
    case 'timestamptz':
      return readTimestamptz;
    case 'interval':
      return readInterval;
  }
}
