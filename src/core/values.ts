import { canonicalFraction, daysFromCivil, formatTimestamp, parseTimestamp } from './civil-time.js';
import type { LogicalKind, LogicalType, Value } from './schema.js';

export { canonicalFraction } from './civil-time.js';

/**
 * Helpers that produce and compare canonical values (see schema.ts). Connectors
 * use them at their edges so every engine agrees on one form.
 */

/**
 * Canonical timestamp (no zone) from text such as `2024-01-02 03:04:05.120`.
 * Accepts a space or `T` separator. Infinity values pass through.
 */
export function canonicalTimestamp(text: string): string {
  if (text === 'infinity' || text === '-infinity') return text;
  const bc = text.endsWith(' BC');
  const body = bc ? text.slice(0, -3) : text;
  const m = /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?$/.exec(body);
  if (!m) throw new TypeError(`not a timestamp: ${JSON.stringify(text)}`);
  const frac = m[7] ? canonicalFraction(m[7].slice(1)) : '';
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${frac}${bc ? ' BC' : ''}`;
}

/**
 * Canonical timestamptz (UTC, `Z`) from text with an offset, e.g.
 * `2024-01-02 03:04:05.5+05:45`, `2024-01-02T03:04:05Z`, `2024-01-02 03:04:05+00`.
 * Microseconds are kept exactly; the offset is applied with integer arithmetic.
 */
export function canonicalTimestamptz(text: string): string {
  if (text === 'infinity' || text === '-infinity') return text;
  const m =
    /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?\s*(Z|[+-]\d{2}(?::?\d{2})?(?::?\d{2})?)?$/i.exec(
      text,
    );
  if (!m) throw new TypeError(`not a timestamptz: ${JSON.stringify(text)}`);
  const frac = m[7] ? canonicalFraction(m[7].slice(1)) : '';
  const offset = parseOffsetSeconds(m[8] ?? 'Z');
  if (offset === 0) return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${frac}Z`;
  const days = daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]));
  const seconds = days * 86_400 + Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6]) - offset;
  return formatTimestamp(BigInt(seconds) * 1_000_000n + BigInt((m[7]?.slice(1) ?? '').slice(0, 6).padEnd(6, '0')), true);
}

/** Seconds east of UTC for `Z`, `+05`, `+05:45`, `-0330`, `+05:45:10`. */
export function parseOffsetSeconds(offset: string): number {
  if (offset === 'Z' || offset === 'z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(/:/g, '');
  const h = Number(digits.slice(0, 2));
  const m = Number(digits.slice(2, 4) || '0');
  const s = Number(digits.slice(4, 6) || '0');
  return sign * (h * 3600 + m * 60 + s);
}

/** Canonical time `HH:MM:SS[.ffffff]`. */
export function canonicalTime(text: string): string {
  const m = /^(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?$/.exec(text);
  if (!m) throw new TypeError(`not a time: ${JSON.stringify(text)}`);
  return `${m[1]}:${m[2]}:${m[3] ?? '00'}${m[4] ? canonicalFraction(m[4].slice(1)) : ''}`;
}

/** Canonical timetz `HH:MM:SS[.ffffff]+HH:MM[:SS]`. */
export function canonicalTimetz(text: string): string {
  const m = /^(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)([+-]\d{2})(?::?(\d{2}))?(?::?(\d{2}))?$/.exec(text);
  if (!m || m[1] === undefined) throw new TypeError(`not a timetz: ${JSON.stringify(text)}`);
  const sec = m[4] !== undefined && m[4] !== '00' ? `:${m[4]}` : '';
  return `${canonicalTime(m[1])}${m[2]}:${m[3] ?? '00'}${sec}`;
}

/**
 * Canonical decimal text: no exponent, no leading `+`, leading zeros trimmed;
 * trailing zeros kept (they carry the scale). `NaN`/`Infinity` pass through.
 */
export function canonicalDecimal(text: string): string {
  const t = text.trim();
  if (t === 'NaN' || t === 'Infinity' || t === '-Infinity') return t;
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(t);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new TypeError(`not a decimal: ${JSON.stringify(text)}`);
  let intPart = m[2] ?? '';
  let fracPart = m[3] ?? '';
  const exp = m[4] ? Number(m[4]) : 0;
  if (exp > 0) {
    fracPart = fracPart.padEnd(exp, '0');
    intPart += fracPart.slice(0, exp);
    fracPart = fracPart.slice(exp);
  } else if (exp < 0) {
    intPart = intPart.padStart(-exp + 1, '0');
    fracPart = intPart.slice(intPart.length + exp) + fracPart;
    intPart = intPart.slice(0, intPart.length + exp);
  }
  intPart = intPart.replace(/^0+(?=\d)/, '') || '0';
  const negative = m[1] === '-' && /[1-9]/.test(intPart + fracPart);
  return `${negative ? '-' : ''}${intPart}${fracPart === '' ? '' : `.${fracPart}`}`;
}

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Lower-case hyphenated uuid. Throws on anything that is not 32 hex digits. */
export function canonicalUuid(text: string): string {
  // Most sources already print the canonical form; skip the rebuild on the hot path.
  if (CANONICAL_UUID.test(text)) return text;
  const hex = text.replace(/[{}-]/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new TypeError(`not a uuid: ${JSON.stringify(text)}`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Microseconds since the epoch of a canonical timestamp (`...Z` for timestamptz),
 * BC dates and years past 9999 included. Throws on `infinity`, which has no count.
 */
export function timestampMicros(canonical: string): bigint {
  return parseTimestamp(canonical, /Z( BC)?$/.test(canonical));
}

/** Canonical timestamp text (UTC with `Z` when `zone`) from microseconds since the epoch. */
export function microsToTimestamp(micros: bigint, zone: boolean): string {
  return formatTimestamp(micros, zone);
}

/** Order of a canonical timestamp: ±infinity sort outside every real instant. */
function timestampOrder(text: string): bigint {
  if (text === 'infinity') return 1n << 80n;
  if (text === '-infinity') return -(1n << 80n);
  return timestampMicros(text);
}

function compareDecimal(a: string, b: string): number {
  const sa = a.startsWith('-') ? -1 : 1;
  const sb = b.startsWith('-') ? -1 : 1;
  if (sa !== sb) return sa - sb;
  const [ai = '', af = ''] = a.replace('-', '').split('.');
  const [bi = '', bf = ''] = b.replace('-', '').split('.');
  let cmp = ai.length - bi.length || (ai < bi ? -1 : ai > bi ? 1 : 0);
  if (cmp === 0) {
    const width = Math.max(af.length, bf.length);
    const pa = af.padEnd(width, '0');
    const pb = bf.padEnd(width, '0');
    cmp = pa < pb ? -1 : pa > pb ? 1 : 0;
  }
  return sa * Math.sign(cmp);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Total order on non-null canonical values of one kind, as a database would
 * order them. Used to track the highest incremental cursor seen.
 */
export function compareValues(kind: LogicalKind, a: Value, b: Value): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (kind === 'decimal') return compareDecimal(String(a), String(b));
  if (kind === 'timestamptz' || kind === 'timestamp') {
    const x = timestampOrder(String(a));
    const y = timestampOrder(String(b));
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b);
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = BigInt(a as bigint | number);
    const y = BigInt(b as bigint | number);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Serialize a canonical value to text for storage in a checkpoint or a
 * parameter. Lossless: `decodeValue(type, encodeValue(v)) === v`.
 */
export function encodeValue(value: Value): string | null {
  if (value === null) return null;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return String(value);
}

/** Inverse of `encodeValue` for a given logical type. */
export function decodeValue(type: LogicalType, text: string | null): Value {
  if (text === null) return null;
  switch (type.kind) {
    case 'boolean':
      return text === 'true';
    case 'int16':
    case 'int32':
    case 'float32':
    case 'float64':
      return Number(text);
    case 'int64':
      return BigInt(text);
    case 'bytes':
      return Buffer.from(text, 'base64');
    default:
      return text;
  }
}

/** Parse a user-given cursor value (`--cursor-value`, `cursor_start`) into a canonical value. */
export function parseUserValue(type: LogicalType, text: string): Value {
  switch (type.kind) {
    case 'timestamptz':
      return canonicalTimestamptz(/[zZ]|[+-]\d{2}(:?\d{2})?$/.test(text.slice(10)) ? text : `${text.length === 10 ? `${text} 00:00:00` : text}Z`);
    case 'timestamp':
      return canonicalTimestamp(text.length === 10 ? `${text} 00:00:00` : text);
    case 'decimal':
      return canonicalDecimal(text);
    case 'uuid':
      return canonicalUuid(text);
    case 'int64':
      if (!/^-?\d+$/.test(text)) throw new TypeError(`not an integer: ${JSON.stringify(text)}`);
      return BigInt(text);
    case 'int16':
    case 'int32':
    case 'float32':
    case 'float64': {
      const n = Number(text);
      if (Number.isNaN(n)) throw new TypeError(`not a number: ${JSON.stringify(text)}`);
      return n;
    }
    default:
      return decodeValue(type, text);
  }
}
