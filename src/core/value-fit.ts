import { TIME_KINDS, type LogicalKind, type LogicalType, type Value } from './schema.js';

/**
 * One value of a source type, as a value of a target type: the canonical
 * form of `to` when the target type holds exactly this value, or `NO_FIT`
 * when it cannot (too long, too many digits, out of range, not a number...).
 * Never rounds, truncates or clamps. Used by the `data_type` contract
 * (`discard_row`, `discard_value`, `evolve`) and to carry values into a
 * widened column.
 *
 * @example fitValue('12.50', { kind: 'decimal' }, { kind: 'decimal', precision: 4, scale: 1 }) // '12.5'
 * @example fitValue('12.55', { kind: 'decimal' }, { kind: 'decimal', precision: 4, scale: 1 }) // NO_FIT
 */
export const NO_FIT: unique symbol = Symbol('no fit');
export type Fitted = Value | typeof NO_FIT;

const INTEGER_RANGE: Partial<Record<LogicalKind, readonly [bigint, bigint]>> = {
  int16: [-32768n, 32767n],
  int32: [-2147483648n, 2147483647n],
  int64: [-9223372036854775808n, 9223372036854775807n],
};
const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;
const INTEGER_TEXT = /^-?\d+$/;
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MIDNIGHT = /^(.*)T00:00:00( BC)?$/;

type Fitter = (value: Exclude<Value, null>, from: LogicalType, to: LogicalType) => Fitted;

export function fitValue(value: Value, from: LogicalType, to: LogicalType): Fitted {
  if (value === null) return null;
  const fitter = FITTERS[to.kind];
  return fitter ? fitter(value, from, to) : sameKindOnly(value, from, to);
}

const FITTERS: Partial<Record<LogicalKind, Fitter>> = {
  int16: fitInteger,
  int32: fitInteger,
  int64: fitInteger,
  decimal: fitDecimal,
  float32: fitFloat,
  float64: fitFloat,
  string: fitString,
  bytes: (v, from, to) => (v instanceof Uint8Array && from.kind === 'bytes' && (to.length === undefined || v.length <= to.length) ? v : NO_FIT),
  json: (v, from) => (from.kind === 'json' || (from.kind === 'string' && typeof v === 'string' && isJson(v)) ? v : NO_FIT),
  uuid: (v, from) => ((from.kind === 'uuid' || from.kind === 'string') && typeof v === 'string' && UUID_TEXT.test(v) ? v.toLowerCase() : NO_FIT),
  date: fitDate,
  time: fitTime,
  timetz: fitTime,
  timestamp: fitTime,
  timestamptz: fitTime,
};

function sameKindOnly(value: Exclude<Value, null>, from: LogicalType, to: LogicalType): Fitted {
  return from.kind === to.kind ? value : NO_FIT;
}

/** The exact integer a value stands for, or undefined when it is not one. */
function integerOf(value: Exclude<Value, null>, from: LogicalType): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : undefined;
  if (typeof value !== 'string' || (from.kind !== 'decimal' && from.kind !== 'string')) return undefined;
  const m = DECIMAL_TEXT.exec(value);
  if (!m || /[1-9]/.test(m[3] ?? '')) return undefined;
  return BigInt(`${m[1]}${m[2]}`);
}

function fitInteger(value: Exclude<Value, null>, from: LogicalType, to: LogicalType): Fitted {
  if (from.kind === 'boolean') return NO_FIT;
  const n = integerOf(value, from);
  const range = INTEGER_RANGE[to.kind];
  if (n === undefined || !range || n < range[0] || n > range[1]) return NO_FIT;
  return to.kind === 'int64' ? n : Number(n);
}

/** Plain decimal text of a value, or undefined when it has none (NaN, infinities, non-numbers). */
function decimalTextOf(value: Exclude<Value, null>, from: LogicalType): string | undefined {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? plainNumberText(value) : undefined;
  if (typeof value === 'string' && (from.kind === 'decimal' || from.kind === 'string') && DECIMAL_TEXT.test(value)) return value;
  return undefined;
}

/** Shortest round-trip text of a double without an exponent (`1e21` -> `1000000000000000000000`). */
function plainNumberText(n: number): string {
  const text = String(Object.is(n, -0) ? 0 : n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!m) return text;
  const digits = `${m[2]}${m[3] ?? ''}`;
  const point = 1 + Number(m[4]);
  if (point <= 0) return `${m[1]}0.${'0'.repeat(-point)}${digits}`;
  return `${m[1]}${digits.padEnd(point, '0').slice(0, point)}${digits.length > point ? `.${digits.slice(point)}` : ''}`;
}

function fitDecimal(value: Exclude<Value, null>, from: LogicalType, to: LogicalType): Fitted {
  if (value === 'NaN' && from.kind === 'decimal') return to.precision === undefined ? value : NO_FIT;
  const text = decimalTextOf(value, from);
  const m = text === undefined ? null : DECIMAL_TEXT.exec(text);
  if (!m) return NO_FIT;
  const integer = (m[2] ?? '').replace(/^0+(?=\d)/, '');
  const fraction = (m[3] ?? '').replace(/0+$/, '');
  if (to.precision !== undefined) {
    const scale = to.scale ?? 0;
    const integerDigits = integer === '0' ? 0 : integer.length;
    if (fraction.length > scale || integerDigits > to.precision - scale) return NO_FIT;
  }
  const sign = m[1] === '-' && (integer !== '0' || fraction !== '') ? '-' : '';
  return `${sign}${integer}${fraction ? `.${fraction}` : ''}`;
}

function fitFloat(value: Exclude<Value, null>, from: LogicalType, to: LogicalType): Fitted {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint') n = Number(value);
  else if (typeof value === 'string' && (from.kind === 'decimal' || from.kind === 'string') && DECIMAL_TEXT.test(value)) n = Number(value);
  else return NO_FIT;
  if (typeof value !== 'number' && fitDecimal(plainNumberText(n), { kind: 'decimal' }, { kind: 'decimal' }) !== fitDecimal(value, from, { kind: 'decimal' })) return NO_FIT;
  if (to.kind === 'float32' && !Number.isNaN(n) && Math.fround(n) !== n) return NO_FIT;
  // A float32 is written as its shortest decimal (0.1); as a float64 it is the same binary value (0.10000000149011612).
  if (from.kind === 'float32' && to.kind === 'float64') return Math.fround(n);
  return n;
}

function fitString(value: Exclude<Value, null>, _from: LogicalType, to: LogicalType): Fitted {
  const text = textOf(value);
  if (text === undefined) return NO_FIT;
  return to.length === undefined || [...text].length <= to.length ? text : NO_FIT;
}

/** The text form a string column would hold for this value; bytes have none (their encoding is not known). */
function textOf(value: Exclude<Value, null>): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'bigint' || typeof value === 'number') return String(value);
  return undefined;
}

function fitDate(value: Exclude<Value, null>, from: LogicalType): Fitted {
  if (typeof value !== 'string') return NO_FIT;
  if (from.kind === 'date') return value;
  if (from.kind !== 'timestamp') return NO_FIT;
  const m = MIDNIGHT.exec(value);
  return m ? `${m[1]}${m[2] ?? ''}` : NO_FIT;
}

/** Same time kind with no more fractional digits than the target keeps; a date becomes midnight of a timestamp. */
function fitTime(value: Exclude<Value, null>, from: LogicalType, to: LogicalType): Fitted {
  if (typeof value !== 'string') return NO_FIT;
  if (from.kind === 'date' && to.kind === 'timestamp') return /^-?infinity$/.test(value) ? value : value.replace(/^([^ ]+)( BC)?$/, '$1T00:00:00$2');
  if (from.kind !== to.kind || !TIME_KINDS.has(from.kind)) return NO_FIT;
  const fraction = /\.(\d+)/.exec(value)?.[1] ?? '';
  return fraction.length <= (to.precision ?? 6) ? value : NO_FIT;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
