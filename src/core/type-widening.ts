import { TIME_KINDS, type LogicalKind, type LogicalType } from './schema.js';

/**
 * Which source types a target column can take, and how a target type widens
 * safely. Pure rules over logical types; destinations only carry them out.
 *
 * A target *holds* a source type when every value of the source type is a
 * value of the target type, unchanged:
 * - int16 < int32 < int64; an integer fits decimal(p,s) with p - s >= its
 *   digits (5, 10, 19); decimal(p,0) fits an integer type with more digits;
 * - float32 < float64; int16 and int32 fit float64 (and int16 float32) exactly;
 * - decimal(p,s) fits decimal(p2,s2) when s <= s2 and p - s <= p2 - s2;
 *   an unconstrained decimal holds every decimal;
 * - string(n) / bytes(n) fit a longer or unbounded one;
 * - time, timetz, timestamp, timestamptz(p) fit the same kind with more digits;
 * - every other kind holds only itself.
 *
 * When the target does not hold the source, the *join* is the smallest type
 * holding both: it exists within a family (integers and decimals, floats,
 * strings, bytes, one time kind) and widens the target safely. Across
 * families (string -> int, float -> decimal, timestamptz -> timestamp) there
 * is none: that is a type change for the `data_type` contract.
 */

/** Digits of the largest value of each integer type. */
const INTEGER_DIGITS: Partial<Record<LogicalKind, number>> = { int16: 5, int32: 10, int64: 19 };
const INTEGER_RANK: Partial<Record<LogicalKind, number>> = { int16: 1, int32: 2, int64: 3 };
const DEFAULT_TIME_PRECISION = 6;

export type TypeFit =
  /** The target holds every source value as it is; nothing to change. */
  | { readonly kind: 'holds' }
  /** The target must become `to` (which holds both) before rows land. */
  | { readonly kind: 'widen'; readonly to: LogicalType }
  /** No safe widening: the `data_type` contract decides. */
  | { readonly kind: 'unsafe'; readonly reason: 'narrowing' | 'type change' };

/**
 * How a source column's type relates to the existing target column's.
 *
 * @example compareTypes({ kind: 'int32' }, { kind: 'int16' }) // { kind: 'widen', to: { kind: 'int32' } }
 */
export function compareTypes(source: LogicalType, target: LogicalType): TypeFit {
  if (holds(target, source)) return { kind: 'holds' };
  const to = joinTypes(source, target);
  return to ? { kind: 'widen', to } : { kind: 'unsafe', reason: 'type change' };
}

/** True when every value of `source` is a value of `target`. */
export function holds(target: LogicalType, source: LogicalType): boolean {
  const s = source.kind;
  const t = target.kind;
  if (isInteger(s) && isInteger(t)) return rank(s) <= rank(t);
  if (isInteger(s) && t === 'decimal') return fitsDecimal(integerAsDecimal(s), target);
  if (s === 'decimal' && isInteger(t)) return source.precision !== undefined && (source.scale ?? 0) === 0 && source.precision < digits(t);
  if (isInteger(s) && (t === 'float64' || t === 'float32')) return t === 'float64' ? s !== 'int64' : s === 'int16';
  if (s === 'float32' && t === 'float64') return true;
  if (s !== t) return false;
  if (s === 'decimal') return fitsDecimal(source, target);
  if (s === 'string' || s === 'bytes') return target.length === undefined || (source.length !== undefined && source.length <= target.length);
  if (TIME_KINDS.has(s)) return timePrecision(source) <= timePrecision(target);
  return true;
}

/** The smallest type holding both, within one family; undefined across families. */
export function joinTypes(a: LogicalType, b: LogicalType): LogicalType | undefined {
  if (holds(a, b)) return a;
  if (holds(b, a)) return b;
  if (isInteger(a.kind) && isInteger(b.kind)) return rank(a.kind) >= rank(b.kind) ? { kind: a.kind } : { kind: b.kind };
  if (isNumericExact(a.kind) && isNumericExact(b.kind)) return joinDecimals(asDecimal(a), asDecimal(b));
  if (isFloat(a.kind) && isFloat(b.kind)) return { kind: 'float64' };
  if (a.kind !== b.kind) return undefined;
  if (a.kind === 'string' || a.kind === 'bytes') return { kind: a.kind };
  if (TIME_KINDS.has(a.kind)) return { kind: a.kind, precision: Math.max(timePrecision(a), timePrecision(b)) };
  return undefined;
}

function joinDecimals(a: LogicalType, b: LogicalType): LogicalType {
  if (a.precision === undefined || b.precision === undefined) return { kind: 'decimal' };
  const scale = Math.max(a.scale ?? 0, b.scale ?? 0);
  const integerDigits = Math.max(a.precision - (a.scale ?? 0), b.precision - (b.scale ?? 0));
  return { kind: 'decimal', precision: integerDigits + scale, scale };
}

function fitsDecimal(source: LogicalType, target: LogicalType): boolean {
  if (target.precision === undefined) return true;
  if (source.precision === undefined) return false;
  const sourceScale = source.scale ?? 0;
  const targetScale = target.scale ?? 0;
  return sourceScale <= targetScale && source.precision - sourceScale <= target.precision - targetScale;
}

function asDecimal(type: LogicalType): LogicalType {
  return isInteger(type.kind) ? integerAsDecimal(type.kind) : type;
}

function integerAsDecimal(kind: LogicalKind): LogicalType {
  return { kind: 'decimal', precision: digits(kind), scale: 0 };
}

function isInteger(kind: LogicalKind): boolean {
  return INTEGER_RANK[kind] !== undefined;
}

function isNumericExact(kind: LogicalKind): boolean {
  return isInteger(kind) || kind === 'decimal';
}

function isFloat(kind: LogicalKind): boolean {
  return kind === 'float32' || kind === 'float64';
}

function rank(kind: LogicalKind): number {
  return INTEGER_RANK[kind] ?? 0;
}

function digits(kind: LogicalKind): number {
  return INTEGER_DIGITS[kind] ?? 0;
}

function timePrecision(type: LogicalType): number {
  return type.precision ?? DEFAULT_TIME_PRECISION;
}

/** True when both types are the same logical type, parameters included. */
export function sameType(a: LogicalType, b: LogicalType): boolean {
  return holds(a, b) && holds(b, a) && a.kind === b.kind;
}
