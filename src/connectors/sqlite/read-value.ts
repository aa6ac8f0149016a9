import type { LogicalType, Value } from '../../core/schema.js';
import { canonicalDecimal, canonicalTime, canonicalTimestamp, canonicalTimestamptz, canonicalTimetz, canonicalUuid } from '../../core/values.js';

/**
 * Turn what SQLite returns (with safeIntegers: INTEGER -> bigint, REAL ->
 * number, TEXT -> string, BLOB -> Buffer, NULL -> null) into the canonical
 * value of the column's logical type.
 *
 * A value whose storage class does not fit the logical type is either
 * converted losslessly by a documented rule (INTEGER in a DECIMAL column ->
 * decimal text, TEXT in a BLOB column -> its UTF-8 bytes, INTEGER/REAL in an
 * untyped column -> its digits as text, a 16-byte BLOB in a UUID column -> the
 * uuid) or refused with a `ValueRefused` the source turns into a DataError that
 * names table, column and rowid. Nothing is rounded, truncated or guessed.
 */
export class ValueRefused extends Error {
  override readonly name = 'ValueRefused';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export type ReadValue = (raw: unknown) => Value;

function storageClass(raw: unknown): string {
  if (typeof raw === 'bigint') return 'INTEGER';
  if (typeof raw === 'number') return 'REAL';
  if (typeof raw === 'string') return 'TEXT';
  if (raw instanceof Uint8Array) return 'BLOB';
  return typeof raw;
}

function refuse(kind: string, raw: unknown, hint?: string): never {
  const shown = raw instanceof Uint8Array ? `${raw.length} bytes` : JSON.stringify(String(raw)).slice(0, 80);
  throw new ValueRefused(`a ${storageClass(raw)} value ${shown} cannot be read as ${kind}`, hint);
}

function integerIn(min: bigint, max: bigint, kind: string): ReadValue {
  return (raw) => {
    if (typeof raw === 'bigint' && raw >= min && raw <= max) return Number(raw);
    return refuse(kind, raw, typeof raw === 'bigint' ? 'declare the column INTEGER or BIGINT to read it as a 64-bit integer' : undefined);
  };
}

const readInt64: ReadValue = (raw) => (typeof raw === 'bigint' ? raw : refuse('int64', raw));

const NON_FINITE: Readonly<Record<string, number>> = { NaN: Number.NaN, Infinity: Infinity, '-Infinity': -Infinity, inf: Infinity, '-inf': -Infinity };
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

const readFloat: ReadValue = (raw) => {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'bigint' && raw <= MAX_SAFE && raw >= -MAX_SAFE) return Number(raw);
  if (typeof raw === 'string' && NON_FINITE[raw] !== undefined) return NON_FINITE[raw];
  return refuse('a float', raw);
};

const readBoolean: ReadValue = (raw) => {
  if (raw === 0n || raw === 1n) return raw === 1n;
  if (typeof raw === 'string' && /^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
  return refuse('boolean', raw, 'booleans are stored as 0/1');
};

/** Render a decimal at `scale` digits after the point (trailing zeros added, never digits dropped). */
function atScale(text: string, scale: number | undefined): string {
  if (scale === undefined || text === 'NaN' || text.endsWith('Infinity')) return text;
  const [int = '0', frac = ''] = text.split('.');
  const kept = frac.replace(/0+$/, '');
  if (kept.length > scale) throw new ValueRefused(`the decimal ${text} has more than ${scale} digits after the point`);
  const digits = kept.padEnd(scale, '0');
  return digits === '' ? int : `${int}.${digits}`;
}

/**
 * A REAL in a NUMERIC-affinity column came from a decimal SQLite converted
 * keeping 15 significant digits; it is read back as that decimal only when
 * the double is exactly the nearest double to a 15-digit decimal.
 */
function realAsDecimal(raw: number): string {
  if (Number.isNaN(raw)) return 'NaN';
  if (!Number.isFinite(raw)) return raw > 0 ? 'Infinity' : '-Infinity';
  const text = raw.toPrecision(15);
  if (Number(text) !== raw) {
    throw new ValueRefused(`the REAL ${raw} is not a decimal of 15 significant digits`, 'store exact decimals as TEXT (declare the column DECIMAL_TEXT(p,s))');
  }
  const plain = canonicalDecimal(text);
  return plain.includes('.') ? plain.replace(/\.?0+$/, '') : plain;
}

/**
 * `realAsDecimal` then `atScale` for the usual REAL (`90.99`): when the
 * shortest text that reads back as the double has at most 15 significant
 * digits and no exponent, it is the 15-digit decimal `realAsDecimal` finds
 * (two 15-digit decimals are 10^-14 of the leading digit apart, a double's
 * half-ulp under 1.2 x 10^-16 of it), without its trailing zeros. Undefined
 * for anything else, which takes the full path (and its refusals).
 */
function shortRealAtScale(raw: number, scale: number | undefined): string | undefined {
  if (!Number.isFinite(raw)) return undefined;
  const text = String(raw);
  let significant = 0;
  let point = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) point = i;
    else if (c >= 48 && c <= 57) {
      if (significant > 0 || c !== 48) significant++;
    } else if (c !== 45) return undefined; // an exponent
  }
  if (significant > 15) return undefined;
  if (scale === undefined) return text;
  const fraction = point < 0 ? 0 : text.length - point - 1;
  if (fraction > scale) return undefined;
  if (fraction === scale) return text;
  return `${text}${point < 0 ? '.' : ''}${'0'.repeat(scale - fraction)}`;
}

/** A REAL read as decimal(p, `scale`) the long way (`realAsDecimal`, `atScale`). */
function anyRealAtScale(raw: number, scale: number | undefined): string {
  return atScale(realAsDecimal(raw), scale);
}

/** The fast paths and the long ones they stand in for, for tests that compare them. */
export const readPaths = { shortRealAtScale, anyRealAtScale, usualTimestampText, anyTimestampText } as const;

function readDecimal(type: LogicalType): ReadValue {
  return (raw) => {
    if (typeof raw === 'bigint') return atScale(raw.toString(), type.scale);
    if (typeof raw === 'number') return shortRealAtScale(raw, type.scale) ?? anyRealAtScale(raw, type.scale);
    if (typeof raw === 'string') {
      try {
        return canonicalDecimal(raw);
      } catch {
        return refuse('decimal', raw);
      }
    }
    return refuse('decimal', raw);
  };
}

const readString: ReadValue = (raw) => {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'bigint' || typeof raw === 'number') return String(raw);
  return refuse('string', raw, 'declare the column BLOB to read bytes');
};

const readBytes: ReadValue = (raw) => {
  if (raw instanceof Uint8Array) return raw;
  if (typeof raw === 'string') return Buffer.from(raw, 'utf8');
  return refuse('bytes', raw);
};

const readJson: ReadValue = (raw) => {
  if (typeof raw === 'bigint') return raw.toString();
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  if (typeof raw !== 'string') return refuse('json', raw, 'Ferry reads JSON stored as text');
  try {
    JSON.parse(raw);
  } catch {
    return refuse('json', raw, 'the text is not valid JSON');
  }
  return raw;
};

const readUuid: ReadValue = (raw) => {
  if (raw instanceof Uint8Array && raw.length === 16) return canonicalUuid(Buffer.from(raw).toString('hex'));
  if (typeof raw !== 'string') return refuse('uuid', raw);
  try {
    return canonicalUuid(raw);
  } catch {
    return refuse('uuid', raw);
  }
};

/** Apply a text canonicalizer; anything that is not text, or text it rejects, is refused. */
function fromText(kind: string, canonical: (text: string) => string, hint?: string): ReadValue {
  return (raw) => {
    if (typeof raw !== 'string') return refuse(kind, raw, hint ?? `Ferry reads ${kind} values stored as ISO 8601 text`);
    try {
      return canonical(raw);
    } catch (error) {
      if (error instanceof ValueRefused) throw error;
      return refuse(kind, raw, hint);
    }
  };
}

const ZONE = /(?:[zZ]|[+-]\d{2}(?::?\d{2}){0,2})$/;

function dateText(text: string): string {
  if (/^(-?infinity|\d{4,}-\d{2}-\d{2}( BC)?)$/.test(text)) return text;
  throw new TypeError('not a date');
}

const isDigit = (text: string, i: number): boolean => {
  const c = text.charCodeAt(i);
  return c >= 48 && c <= 57;
};

/**
 * The usual shape, `YYYY-MM-DD HH:MM:SS[.f{1,6}]` (or with `T`), made
 * canonical without regular expressions: the separator becomes `T` and the
 * fraction loses its trailing zeros, as `canonicalTimestamp` does. Undefined
 * for any other text, which takes the full path.
 */
function usualTimestampText(text: string): string | undefined {
  const n = text.length;
  if (n < 19 || n > 26 || n === 20) return undefined;
  const separator = text.charCodeAt(10);
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || (separator !== 32 && separator !== 84) || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  if (n > 19 && text.charCodeAt(19) !== 46) return undefined;
  for (const i of DIGIT_POSITIONS) if (!isDigit(text, i)) return undefined;
  for (let i = 20; i < n; i++) if (!isDigit(text, i)) return undefined;
  let end = n;
  while (end > 20 && text.charCodeAt(end - 1) === 48) end--;
  if (end === 20) end = 19;
  if (separator === 84 && end === n) return text;
  return `${text.slice(0, 10)}T${text.slice(11, end)}`;
}

/** Where `YYYY-MM-DD HH:MM:SS` has digits. */
const DIGIT_POSITIONS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/** Timestamps as people store them in SQLite: 'YYYY-MM-DD[ T]HH:MM[:SS[.fff]]', or a bare date. */
function timestampText(text: string): string {
  return usualTimestampText(text) ?? anyTimestampText(text);
}

function anyTimestampText(text: string): string {
  if (ZONE.test(text.slice(10)) && !text.endsWith(' BC')) {
    throw new ValueRefused(`the timestamp ${JSON.stringify(text)} carries a zone`, 'declare the column TIMESTAMPTZ to read instants with zones');
  }
  if (/^\d{4,}-\d{2}-\d{2}$/.test(text)) return `${text}T00:00:00`;
  const minutes = /^(\d{4,}-\d{2}-\d{2}[ T]\d{2}:\d{2})$/.exec(text);
  return canonicalTimestamp(minutes ? `${text}:00` : text);
}

function timestamptzText(text: string): string {
  if (text.endsWith(' BC')) {
    canonicalTimestamptz(text.slice(0, -3));
    return text;
  }
  if (text !== 'infinity' && text !== '-infinity' && !ZONE.test(text.slice(10))) {
    throw new ValueRefused(`the timestamp ${JSON.stringify(text)} has no zone`, 'declare the column TIMESTAMP for wall-clock times, or store the offset (e.g. Z)');
  }
  return canonicalTimestamptz(text);
}

function intervalText(text: string): string {
  if (/^-?P[-\d.,YMWDTHS]+$/.test(text)) return text;
  throw new TypeError('not an ISO 8601 duration');
}

/** The reader for one column's logical type. */
export function valueReaderFor(type: LogicalType): ReadValue {
  switch (type.kind) {
    case 'boolean':
      return readBoolean;
    case 'int16':
      return integerIn(-32768n, 32767n, 'int16');
    case 'int32':
      return integerIn(-2147483648n, 2147483647n, 'int32');
    case 'int64':
      return readInt64;
    case 'float32':
    case 'float64':
      return readFloat;
    case 'decimal':
      return readDecimal(type);
    case 'string':
      return readString;
    case 'bytes':
      return readBytes;
    case 'json':
      return readJson;
    case 'uuid':
      return readUuid;
    case 'date':
      return fromText('date', dateText);
    case 'time':
      return fromText('time', canonicalTime);
    case 'timetz':
      return fromText('timetz', canonicalTimetz);
    case 'timestamp':
      return fromText('timestamp', timestampText);
    case 'timestamptz':
      return fromText('timestamptz', timestamptzText);
    case 'interval':
      return fromText('interval', intervalText);
  }
}
