import type { Batch, Column, LogicalKind, Value } from '../../src/core/schema.js';
import { jsonSpelling } from './json-spelling.js';

/**
 * How one column came back from a destination, compared with what was written:
 * - `exact`: the same logical kind and identical values (-0 is not 0, NaN is NaN);
 * - `equivalent`: the same values once both sides are spelled as canonical text,
 *   JSON as one spelling per value and -0 as 0 (what a documented mapping allows);
 * - `differs`: a value changed: never allowed;
 * - `empty`: no rows either way and the column did not come back (an empty
 *   JSONL file has no keys to name columns by): nothing to compare.
 */
export type ColumnOutcome = 'exact' | 'equivalent' | 'differs' | 'empty';

export interface ColumnComparison {
  readonly expected: Column;
  readonly got: Column | undefined;
  readonly outcome: ColumnOutcome;
  /** The first value that is not exact: `"a" -> "b"`. */
  readonly example?: string;
}

function bytesText(v: Uint8Array): string {
  return Buffer.from(v).toString('base64');
}

/** Type-tagged text: equal only for the same JS type and the same value. */
function strictText(v: Value): string {
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return `bytes:${bytesText(v)}`;
  if (typeof v === 'number') return `number:${Object.is(v, -0) ? '-0' : String(v)}`;
  return `${typeof v}:${String(v)}`;
}

/** Canonical text as the kind written: what survives a mapping to text. */
function looseText(kind: LogicalKind, v: Value): string | null {
  if (v === null) return null;
  if (v instanceof Uint8Array) return bytesText(v);
  if (typeof v === 'number') return Object.is(v, -0) ? '0' : String(v);
  // A JSON null embedded in JSONL reads back as SQL NULL (documented mapping): both are null here.
  if (kind === 'json' && typeof v === 'string') return v.trim() === 'null' ? null : jsonSpelling(v);
  return String(v);
}

/** The column of `got` holding `expected`: same name, or the same name ignoring case. */
function columnIndex(got: readonly Column[], name: string): number {
  const i = got.findIndex((c) => c.name === name);
  return i >= 0 ? i : got.findIndex((c) => c.name.toLowerCase() === name.toLowerCase());
}

/**
 * Compare what was written with what was read back, column by column. Rows are
 * matched by their loose spelling (engines return rows in any order).
 */
export function compareBatches(expected: Batch, got: Batch): ColumnComparison[] {
  const index = expected.columns.map((c) => columnIndex(got.columns, c.name));
  const kinds = expected.columns.map((c) => c.type.kind);
  const order = (rows: readonly (readonly Value[])[]): (readonly Value[])[] =>
    rows
      .map((r) => ({ r, key: JSON.stringify(r.map((v, i) => looseText(kinds[i] ?? 'string', v))) }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((x) => x.r);
  const want = order(expected.rows);
  const have = order(got.rows.map((r) => index.map((j) => (j < 0 ? null : (r[j] ?? null)))));
  return expected.columns.map((column, i) => {
    const back = got.columns[index[i] ?? -1];
    const kind = kinds[i] ?? 'string';
    if (back === undefined && want.length === 0 && have.length === 0) return { expected: column, got: back, outcome: 'empty' };
    if (back === undefined || want.length !== have.length) {
      return { expected: column, got: back, outcome: 'differs', example: `${want.length} rows written, ${have.length} read back${back ? '' : ', column missing'}` };
    }
    let outcome: ColumnOutcome = back.type.kind === kind ? 'exact' : 'equivalent';
    let example: string | undefined = outcome === 'exact' ? undefined : `kind ${kind} -> ${back.type.kind}`;
    for (let row = 0; row < want.length; row++) {
      const a = want[row]?.[i] ?? null;
      const b = have[row]?.[i] ?? null;
      if (strictText(a) === strictText(b)) continue;
      if (looseText(kind, a) !== looseText(kind, b)) return { expected: column, got: back, outcome: 'differs', example: `${strictText(a)} -> ${strictText(b)}` };
      if (outcome === 'exact') example = `${strictText(a)} -> ${strictText(b)}`;
      outcome = 'equivalent';
    }
    return { expected: column, got: back, outcome, ...(example !== undefined ? { example } : {}) };
  });
}
