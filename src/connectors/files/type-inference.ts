import type { LogicalKind, Value } from '../../core/schema.js';
import { canonicalFraction, canonicalTimestamptz } from '../../core/values.js';

/**
 * Type inference for text cells (CSV, and string values in JSONL). A kind is
 * inferred only when converting to it loses nothing a reader could care about:
 * `00123` and `+5` stay strings (the digits would change), `1.50` becomes a
 * decimal that keeps its text exactly, booleans are only `true`/`false`.
 */

/** Kinds inferable from text, in priority order (the first one every sampled value fits wins). */
export const INFERRED_TEXT_KINDS = ['boolean', 'int64', 'decimal', 'date', 'timestamp', 'timestamptz'] as const;
export type InferredTextKind = (typeof INFERRED_TEXT_KINDS)[number];

const ALL_KINDS = (1 << INFERRED_TEXT_KINDS.length) - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?$/;
const TIMESTAMPTZ = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-](\d{2})(?::?(\d{2}))?)$/;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Proleptic Gregorian calendar check, in integer arithmetic (no Date per cell on the data path). */
function validDate(y: string, m: string, d: string): boolean {
  const year = Number(y);
  const month = Number(m);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : (MONTH_DAYS[month - 1] ?? 0));
}

function validClock(h: string, m: string, s: string): boolean {
  return Number(h) < 24 && Number(m) < 60 && Number(s) < 60;
}

const INT64_TEXT = /^-?(0|[1-9]\d{0,18})$/;

function isInt64Text(text: string): boolean {
  if (!INT64_TEXT.test(text) || text === '-0') return false;
  // Up to 18 digits always fits; only 19-digit values need the range check.
  if (text.length <= (text.charCodeAt(0) === 45 ? 19 : 18)) return true;
  const n = BigInt(text);
  return n >= INT64_MIN && n <= INT64_MAX;
}

function isDecimalText(text: string): boolean {
  // Negative zero ("-0.00") would print as "0.00": keep it a string.
  return /^-?(0|[1-9]\d*)(\.\d+)?$/.test(text) && (!text.startsWith('-') || /[1-9]/.test(text));
}

/** The match of a timestamp(tz) text that passes every check, else null. */
function timestampMatch(text: string, zone: boolean): RegExpExecArray | null {
  const m = (zone ? TIMESTAMPTZ : TIMESTAMP).exec(text);
  if (!m || !validDate(m[1] ?? '', m[2] ?? '', m[3] ?? '') || !validClock(m[4] ?? '', m[5] ?? '', m[6] ?? '')) return null;
  return !zone || (Number(m[9] ?? 0) <= 15 && Number(m[10] ?? 0) < 60) ? m : null;
}

function isTimestampText(text: string, zone: boolean): boolean {
  return timestampMatch(text, zone) !== null;
}

/**
 * Canonical form of an inferred timestamp(tz), built from the one match that
 * validated it; only a non-zero offset needs the arithmetic of canonicalTimestamptz.
 */
function inferredTimestamp(text: string, zone: boolean): string | undefined {
  const m = timestampMatch(text, zone);
  if (m === null) return undefined;
  if (zone && m[8] !== 'Z' && (m[9] !== '00' || (m[10] ?? '00') !== '00')) return canonicalTimestamptz(text);
  const fraction = m[7] === undefined ? '' : canonicalFraction(m[7].slice(1));
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${fraction}${zone ? 'Z' : ''}`;
}

const MATCHERS: Readonly<Record<InferredTextKind, (text: string) => boolean>> = {
  boolean: (t) => t === 'true' || t === 'false',
  int64: isInt64Text,
  decimal: isDecimalText,
  date: (t) => {
    const m = DATE.exec(t);
    return m !== null && validDate(m[1] ?? '', m[2] ?? '', m[3] ?? '');
  },
  timestamp: (t) => isTimestampText(t, false),
  timestamptz: (t) => isTimestampText(t, true),
};

/** Bit mask of the inferable kinds a text fits. */
export function textKindMask(text: string): number {
  let mask = 0;
  INFERRED_TEXT_KINDS.forEach((kind, i) => {
    if (MATCHERS[kind](text)) mask |= 1 << i;
  });
  return mask;
}

/** Accumulates sampled values of one column and names its kind. */
export class TextKindInference {
  #mask = ALL_KINDS;
  #seen = false;

  add(text: string | null): void {
    if (text === null) return;
    this.#seen = true;
    if (this.#mask !== 0) this.#mask &= textKindMask(text);
  }

  /** The first kind every non-null sampled value fits; `string` when none (or no value was seen). */
  kind(): LogicalKind {
    if (!this.#seen) return 'string';
    const index = INFERRED_TEXT_KINDS.findIndex((_, i) => (this.#mask & (1 << i)) !== 0);
    return INFERRED_TEXT_KINDS[index] ?? 'string';
  }
}

/** True for kinds produced by inference (converted strictly, with the matcher that inferred them). */
export function isInferredTextKind(kind: LogicalKind): kind is InferredTextKind {
  return (INFERRED_TEXT_KINDS as readonly string[]).includes(kind);
}

/** True when `text` fits the rule that inferred `kind` (what `convertInferredText` accepts), without converting it. */
export function fitsInferredText(kind: InferredTextKind, text: string): boolean {
  return MATCHERS[kind](text);
}

/**
 * Convert a text to an inferred kind, strictly: the text must fit the same rule
 * that inferred the kind. Returns undefined when it does not fit.
 */
export function convertInferredText(kind: InferredTextKind, text: string): Value | undefined {
  if (kind === 'timestamp' || kind === 'timestamptz') return inferredTimestamp(text, kind === 'timestamptz');
  if (!MATCHERS[kind](text)) return undefined;
  switch (kind) {
    case 'boolean':
      return text === 'true';
    case 'int64':
      return BigInt(text);
    default:
      return text;
  }
}
