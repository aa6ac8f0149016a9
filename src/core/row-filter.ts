import type { Column, LogicalType, Row, Value } from './schema.js';

/**
 * Row filters a stream applies at its source (`filters: [{column, op, value}]`).
 *
 * NULL semantics (the same in every connector, SQL or JS):
 * - `eq`, `ne`, `in`, `not_in` treat NULL as a value equal only to itself:
 *   `eq: null` keeps rows where the column IS NULL, `ne: 'test'` keeps NULL rows
 *   (they are not 'test'), `in: [a, null]` keeps a and NULL, `not_in: [a]` keeps NULL.
 * - `gt`, `gte`, `lt`, `lte` never match a NULL column and refuse a null value.
 */
export const FILTER_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

/** Operators taking a list of values. */
export const LIST_FILTER_OPS: ReadonlySet<FilterOp> = new Set(['in', 'not_in']);

/** One filter with its value(s) parsed into canonical values of the column's logical type. */
export interface RowFilter {
  readonly column: string;
  readonly type: LogicalType;
  readonly op: FilterOp;
  /** A single value for eq..lte (null only for eq/ne); a non-empty list for in/not_in. */
  readonly value: Value | readonly Value[];
}

/** SQL comparison operator of a single-value op. */
export const SQL_COMPARISON: Readonly<Record<Exclude<FilterOp, 'in' | 'not_in'>, string>> = {
  eq: '=',
  ne: '<>',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
};

/** The values of a list filter split into non-null values and whether NULL is listed. */
export function listValues(filter: RowFilter): { readonly values: readonly Value[]; readonly withNull: boolean } {
  const all = Array.isArray(filter.value) ? (filter.value as readonly Value[]) : [filter.value as Value];
  return { values: all.filter((v) => v !== null), withNull: all.some((v) => v === null) };
}

/** A readable rendering for logs and dry runs: `status ne 'test'`. */
export function filterText(filter: RowFilter): string {
  const show = (v: Value): string => (v === null ? 'null' : typeof v === 'string' ? `'${v}'` : v instanceof Uint8Array ? '<bytes>' : String(v));
  const value = Array.isArray(filter.value) ? `[${(filter.value as readonly Value[]).map(show).join(', ')}]` : show(filter.value as Value);
  return `${filter.column} ${filter.op} ${value}`;
}

/** Build a SQL predicate for one filter, given how a column and a value render in the dialect. */
export function filterPredicate(filter: RowFilter, column: string, render: (value: Exclude<Value, null>) => string): string {
  if (filter.op === 'in' || filter.op === 'not_in') {
    const { values, withNull } = listValues(filter);
    const list = values.map((v) => render(v as Exclude<Value, null>)).join(', ');
    if (filter.op === 'in') {
      if (values.length === 0) return `${column} IS NULL`;
      return withNull ? `(${column} IN (${list}) OR ${column} IS NULL)` : `${column} IN (${list})`;
    }
    if (values.length === 0) return `${column} IS NOT NULL`;
    return withNull ? `(${column} NOT IN (${list}) AND ${column} IS NOT NULL)` : `(${column} NOT IN (${list}) OR ${column} IS NULL)`;
  }
  const value = filter.value as Value;
  if (value === null) return filter.op === 'ne' ? `${column} IS NOT NULL` : `${column} IS NULL`;
  const test = `${column} ${SQL_COMPARISON[filter.op]} ${render(value)}`;
  return filter.op === 'ne' ? `(${test} OR ${column} IS NULL)` : test;
}

/**
 * A JS predicate over full rows for sources that filter while reading (files).
 * `compare` is the exact order of the column's kind (decimals, int64 and
 * timestamps compared without floats).
 */
export function filterRowPredicate(
  filter: RowFilter,
  columns: readonly Column[],
  compare: (kind: LogicalType['kind'], a: Value, b: Value) => number,
): (row: Row) => boolean {
  const index = columns.findIndex((c) => c.name === filter.column);
  const kind = filter.type.kind;
  const equal = (a: Value, b: Value): boolean => (a === null || b === null ? a === b : compare(kind, a, b) === 0);
  const get = (row: Row): Value => row[index] ?? null;
  switch (filter.op) {
    case 'eq':
      return (row) => equal(get(row), filter.value as Value);
    case 'ne':
      return (row) => !equal(get(row), filter.value as Value);
    case 'in':
    case 'not_in': {
      const all = filter.value as readonly Value[];
      const keep = filter.op === 'in';
      return (row) => all.some((v) => equal(get(row), v)) === keep;
    }
    default: {
      const bound = filter.value as Value;
      const accept = { gt: (c: number) => c > 0, gte: (c: number) => c >= 0, lt: (c: number) => c < 0, lte: (c: number) => c <= 0 }[filter.op];
      return (row) => {
        const value = get(row);
        return value !== null && bound !== null && accept(compare(kind, value, bound));
      };
    }
  }
}
