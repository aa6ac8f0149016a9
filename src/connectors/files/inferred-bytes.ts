import type { InferredTextKind } from './type-inference.js';

/**
 * The rules of type-inference.ts on UTF-8 bytes, for the CSV pass-through
 * (no string per cell): `fitsInferredBytes(kind, buf, s, e)` is
 * `fitsInferredText(kind, buf.toString('utf8', s, e))` for every input
 * (inferred-bytes.test.ts compares the two). Every rule accepts ASCII only, so
 * a byte of a multi-byte character never fits.
 */

const MINUS = 0x2d;
const PLUS = 0x2b;
const ZERO = 0x30;
const NINE = 0x39;
const DOT = 0x2e;
const COLON = 0x3a;
/** Digits of 2^63 - 1 and of 2^63 (the magnitude of the smallest int64). */
const INT64_MAX_DIGITS = Buffer.from('9223372036854775807');
const INT64_MIN_DIGITS = Buffer.from('9223372036854775808');
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= ZERO && c <= NINE;
}

/** The value of `count` digits at `at`, or -1 when one of them is not a digit. */
function digitsValue(buf: Buffer, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const c = buf[i] as number;
    if (c < ZERO || c > NINE) return -1;
    value = value * 10 + (c - ZERO);
  }
  return value;
}

function same(buf: Buffer, start: number, end: number, word: Buffer): boolean {
  return end - start === word.length && buf.compare(word, 0, word.length, start, end) === 0;
}

function int64Bytes(buf: Buffer, start: number, end: number): boolean {
  const negative = buf[start] === MINUS;
  const from = negative ? start + 1 : start;
  const digits = end - from;
  if (digits < 1 || digits > 19) return false;
  if (buf[from] === ZERO) return digits === 1 && !negative;
  for (let i = from; i < end; i++) if (!isDigit(buf[i])) return false;
  if (digits < 19) return true;
  return buf.compare(negative ? INT64_MIN_DIGITS : INT64_MAX_DIGITS, 0, 19, from, end) <= 0;
}

function decimalBytes(buf: Buffer, start: number, end: number): boolean {
  const negative = buf[start] === MINUS;
  let i = negative ? start + 1 : start;
  let nonZero = false;
  if (buf[i] === ZERO && i < end) i++;
  else {
    if (i >= end || !isDigit(buf[i])) return false;
    nonZero = true;
    while (i < end && isDigit(buf[i])) i++;
  }
  if (i < end) {
    if (buf[i] !== DOT || i + 1 >= end) return false;
    for (i++; i < end; i++) {
      const c = buf[i];
      if (!isDigit(c)) return false;
      if (c !== ZERO) nonZero = true;
    }
  }
  // Negative zero ("-0.00") would print as "0.00": it stays a string.
  return !negative || nonZero;
}

/** YYYY-MM-DD at `at`, a real day of the proleptic Gregorian calendar. */
function dateAt(buf: Buffer, at: number): boolean {
  if (buf[at + 4] !== MINUS || buf[at + 7] !== MINUS) return false;
  const year = digitsValue(buf, at, 4);
  const month = digitsValue(buf, at + 5, 2);
  const day = digitsValue(buf, at + 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : (MONTH_DAYS[month - 1] as number));
}

/** `YYYY-MM-DD[ T]hh:mm:ss(.f{1,6})?` then, with `zone`, `Z` or `[+-]hh(:?mm)?` (hours up to 15). */
function timestampBytes(buf: Buffer, start: number, end: number, zone: boolean): boolean {
  if (end - start < 19 || !dateAt(buf, start)) return false;
  const t = buf[start + 10];
  if (t !== 0x20 && t !== 0x54) return false;
  if (buf[start + 13] !== COLON || buf[start + 16] !== COLON) return false;
  const h = digitsValue(buf, start + 11, 2);
  const m = digitsValue(buf, start + 14, 2);
  const s = digitsValue(buf, start + 17, 2);
  if (h < 0 || m < 0 || s < 0 || h >= 24 || m >= 60 || s >= 60) return false;
  let i = start + 19;
  if (i < end && buf[i] === DOT) {
    const from = ++i;
    while (i < end && i - from < 6 && isDigit(buf[i])) i++;
    if (i === from) return false;
  }
  if (!zone) return i === end;
  if (i >= end) return false;
  const sign = buf[i];
  if (sign === 0x5a) return i + 1 === end;
  if (sign !== PLUS && sign !== MINUS) return false;
  const zh = end - i >= 3 ? digitsValue(buf, i + 1, 2) : -1;
  if (zh < 0 || zh > 15) return false;
  i += 3;
  if (i === end) return true;
  if (buf[i] === COLON) i++;
  if (end - i !== 2) return false;
  const zm = digitsValue(buf, i, 2);
  return zm >= 0 && zm < 60;
}

/** True when the text of bytes [start, end) fits the rule that inferred `kind` (see fitsInferredText). */
export function fitsInferredBytes(kind: InferredTextKind, buf: Buffer, start: number, end: number): boolean {
  switch (kind) {
    case 'boolean':
      return same(buf, start, end, TRUE) || same(buf, start, end, FALSE);
    case 'int64':
      return int64Bytes(buf, start, end);
    case 'decimal':
      return decimalBytes(buf, start, end);
    case 'date':
      return end - start === 10 && dateAt(buf, start);
    case 'timestamp':
      return timestampBytes(buf, start, end, false);
    case 'timestamptz':
      return timestampBytes(buf, start, end, true);
  }
}
