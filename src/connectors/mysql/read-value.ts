import { DataError } from '../../core/errors.js';
import type { Column, Value } from '../../core/schema.js';
import { canonicalDecimal, canonicalFraction, canonicalTime, canonicalTimestamp, canonicalUuid } from '../../core/values.js';
import type { ZeroDatePolicy } from './config.js';

/**
 * Raw column bytes (the driver hands every value over undecoded) -> the
 * canonical value of the column's logical kind. MySQL's text protocol prints
 * each type one fixed way, so decoding is a parse of that text.
 */

/** Where a value came from, for errors, and what to do with zero dates. */
export interface DecodeContext {
  readonly stream: string;
  readonly zeroDates: ZeroDatePolicy;
  /** Zero dates read as NULL so far, by column name (`zero_dates: null`). */
  readonly zeroDateCounts: Map<string, number>;
}

export type Decoder = (raw: Buffer, context: DecodeContext) => Value;

/** The shortest decimal that reads back as the same float32: the canonical float32 number. */
export function shortestFloat32(double: number): number {
  const f = Math.fround(double);
  if (!Number.isFinite(f) || f === 0) return f;
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === f) return candidate;
  }
  return f;
}

function zeroDate(column: Column, text: string, context: DecodeContext): Value {
  if (context.zeroDates === 'null') {
    context.zeroDateCounts.set(column.name, (context.zeroDateCounts.get(column.name) ?? 0) + 1);
    return null;
  }
  throw new DataError(`column "${column.name}" holds the zero date '${text}', which no other engine can store`, {
    stream: context.stream,
    hint: 'set `zero_dates: null` (read them as NULL) or `zero_dates: keep_text` (read date columns as text) on the connection',
  });
}

/** `YYYY-MM-DD` with a zero month or day is a MySQL zero date; year 0000 is 1 BC. */
function decodeDatePart(date: string): { readonly zero: boolean; readonly text: string; readonly bc: boolean } {
  const zero = date.slice(5, 7) === '00' || date.slice(8, 10) === '00';
  if (!zero && date.startsWith('0000-')) return { zero, text: `0001${date.slice(4)}`, bc: true };
  return { zero, text: date, bc: false };
}

function dateDecoder(column: Column): Decoder {
  return (raw, context) => {
    const text = raw.toString('latin1');
    const date = decodeDatePart(text);
    if (date.zero) return zeroDate(column, text, context);
    return date.bc ? `${date.text} BC` : date.text;
  };
}

/** MySQL's `YYYY-MM-DD HH:MM:SS[.ffffff]` as the canonical `YYYY-MM-DDTHH:MM:SS[.fff]` (trailing zeros dropped), without a regex. */
function plainTimestamp(text: string): string {
  let end = text.length;
  while (end > 20 && text.charCodeAt(end - 1) === 48) end--;
  if (end === 20) end = 19;
  return `${text.slice(0, 10)}T${text.slice(11, end)}`;
}

const PLAIN_DATETIME = /^[1-9]\d{3}-(?!00)\d{2}-(?!00)\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;

function timestampDecoder(column: Column, zone: boolean): Decoder {
  return (raw, context) => {
    const text = raw.toString('latin1');
    if (PLAIN_DATETIME.test(text)) return zone ? `${plainTimestamp(text)}Z` : plainTimestamp(text);
    const date = decodeDatePart(text.slice(0, 10));
    if (date.zero) return zeroDate(column, text, context);
    if (date.bc && zone) throw new DataError(`column "${column.name}" holds the year-0 instant '${text}'`, { stream: context.stream });
    const canonical = canonicalTimestamp(`${date.text}${text.slice(10)}${date.bc ? ' BC' : ''}`);
    return zone ? `${canonical}Z` : canonical;
  };
}

const MYSQL_TIME = /^(-?)(\d{2,3}):(\d{2}):(\d{2})(?:\.(\d+))?$/;

function timeDecoder(column: Column): Decoder {
  return (raw, context) => {
    const text = raw.toString('latin1');
    const m = MYSQL_TIME.exec(text);
    const hours = Number(m?.[2] ?? 99);
    if (!m || m[1] === '-' || hours > 24 || (hours === 24 && !/^24:00:00(\.0*)?$/.test(text))) {
      throw new DataError(`column "${column.name}" holds the TIME '${text}', which is not a time of day`, {
        stream: context.stream,
        hint: 'MySQL TIME is a duration: set `time_type: interval` on the connection to read TIME columns as intervals',
      });
    }
    return canonicalTime(text);
  };
}

/** `-838:59:58.999999` -> `PT-838H-59M-58.999999S` (the form Postgres prints in iso_8601 style). */
export function timeToInterval(text: string): string {
  const m = MYSQL_TIME.exec(text);
  if (!m) throw new TypeError(`not a MySQL TIME: ${JSON.stringify(text)}`);
  const sign = m[1] ?? '';
  const fraction = canonicalFraction(m[5] ?? '');
  const parts = [
    Number(m[2]) !== 0 ? `${sign}${Number(m[2])}H` : '',
    Number(m[3]) !== 0 ? `${sign}${Number(m[3])}M` : '',
    Number(m[4]) !== 0 || fraction !== '' ? `${sign}${Number(m[4])}${fraction}S` : '',
  ].join('');
  return parts === '' ? 'PT0S' : `PT${parts}`;
}

const utf8: Decoder = (raw) => raw.toString('utf8');
const latin1: Decoder = (raw) => raw.toString('latin1');

/** The decoder for one column of a read. */
export function decoderFor(column: Column): Decoder {
  const nativeType = (column.sourceEngine === 'mysql' ? (column.sourceType ?? '') : '').toLowerCase();
  switch (column.type.kind) {
    case 'boolean':
      return nativeType.startsWith('bit') ? (raw) => raw.some((b) => b !== 0) : (raw) => raw.toString('latin1') !== '0';
    case 'int16':
    case 'int32':
      return (raw) => Number(raw.toString('latin1'));
    case 'int64':
      return (raw) => BigInt(raw.toString('latin1'));
    case 'float32':
      return (raw) => shortestFloat32(Number(raw.toString('latin1')));
    case 'float64':
      return (raw) => Number(raw.toString('latin1'));
    case 'decimal':
      // ZEROFILL columns print leading zeros; the value has none.
      return (raw) => {
        const text = raw.toString('latin1');
        return /^-?0\d/.test(text) ? canonicalDecimal(text) : text;
      };
    case 'bytes':
      return (raw) => Uint8Array.prototype.slice.call(raw);
    case 'uuid':
      return (raw) => canonicalUuid(raw.toString('latin1'));
    case 'date':
      return nativeType.startsWith('date') ? dateDecoder(column) : latin1;
    case 'timestamp':
    case 'timestamptz':
      return /^(datetime|timestamp)/.test(nativeType) ? timestampDecoder(column, column.type.kind === 'timestamptz') : latin1;
    case 'time':
      return nativeType.startsWith('time') ? timeDecoder(column) : latin1;
    case 'interval':
      return nativeType.startsWith('time') ? (raw) => timeToInterval(raw.toString('latin1')) : utf8;
    default:
      return utf8;
  }
}
