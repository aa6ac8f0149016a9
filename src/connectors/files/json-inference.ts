import type { LogicalKind } from '../../core/schema.js';
import { type JsonField, jsonString } from './json-fields.js';
import { TextKindInference } from './type-inference.js';

/** Classes of JSON values that decide a column's kind. */
type JsonClass = 'int' | 'bigint' | 'hugeint' | 'float' | 'special' | 'string' | 'boolean' | 'json';

const SAFE = 2n ** 53n;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const FLOAT_SPECIALS = new Set(['NaN', 'Infinity', '-Infinity']);

/** True when a JSON number's text is an integer (no fraction, no exponent). */
export function isIntegerText(raw: string): boolean {
  return /^-?\d+$/.test(raw);
}

/** Strings that stand for float values JSON cannot spell; the JSONL writer emits them. */
export function isFloatSpecial(text: string): boolean {
  return FLOAT_SPECIALS.has(text);
}

function numberClass(raw: string): JsonClass {
  if (!isIntegerText(raw)) return 'float';
  const n = BigInt(raw);
  if (n > -SAFE && n < SAFE) return 'int';
  return n >= INT64_MIN && n <= INT64_MAX ? 'bigint' : 'hugeint';
}

function onlyOf(classes: ReadonlySet<JsonClass>, allowed: readonly JsonClass[]): boolean {
  return [...classes].every((c) => allowed.includes(c));
}

/**
 * Accumulates sampled JSON values of one column and names its kind: integers
 * -> int64, with fractions -> float64 (decimal when an integer would not survive
 * a float), strings -> string (or date/timestamp/timestamptz by the text rules),
 * booleans, nested values -> json, anything mixed -> json (kept as written).
 */
export class JsonKindInference {
  readonly #classes = new Set<JsonClass>();
  readonly #text = new TextKindInference();

  add(field: JsonField | undefined): void {
    if (field === undefined || field.type === 'null') return;
    if (field.type === 'number') this.#classes.add(numberClass(field.raw));
    else if (field.type === 'string') this.#addString(jsonString(field));
    else this.#classes.add(field.type);
  }

  #addString(text: string): void {
    this.#classes.add(isFloatSpecial(text) ? 'special' : 'string');
    this.#text.add(text);
  }

  kind(): LogicalKind {
    const c = this.#classes;
    if (c.size === 0) return 'string';
    if (onlyOf(c, ['boolean'])) return 'boolean';
    if (onlyOf(c, ['json'])) return 'json';
    if (onlyOf(c, ['string', 'special'])) return this.#stringKind();
    if (onlyOf(c, ['int', 'bigint'])) return 'int64';
    if (onlyOf(c, ['int', 'float', 'special'])) return 'float64';
    if (onlyOf(c, ['int', 'bigint', 'hugeint', 'float'])) return 'decimal';
    return 'json';
  }

  #stringKind(): LogicalKind {
    const kind = this.#text.kind();
    return kind === 'date' || kind === 'timestamp' || kind === 'timestamptz' ? kind : 'string';
  }
}
