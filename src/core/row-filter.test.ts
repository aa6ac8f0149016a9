import { describe, expect, it } from 'vitest';
import { filterPredicate, filterRowPredicate, type RowFilter } from './row-filter.js';
import type { Column, LogicalType, Row } from './schema.js';
import { compareValues } from './values.js';

const columns: Column[] = [
  { name: 'amount', type: { kind: 'decimal' }, nullable: true },
  { name: 'big', type: { kind: 'int64' }, nullable: true },
  { name: 'at', type: { kind: 'timestamptz' }, nullable: true },
];
const rows: Row[] = [
  ['0.1', 9007199254740993n, '2024-01-01T00:00:00.000001Z'],
  ['0.10000000000000001', 9007199254740992n, '2024-01-01T00:00:00Z'],
  [null, null, null],
];

function keep(column: string, op: RowFilter['op'], value: RowFilter['value']): number[] {
  const type = columns.find((c) => c.name === column)?.type as LogicalType;
  const test = filterRowPredicate({ column, type, op, value }, columns, compareValues);
  return rows.flatMap((row, i) => (test(row) ? [i] : []));
}

describe('row filters', () => {
  it('compare decimals, int64 and timestamps exactly in JS', () => {
    expect(keep('amount', 'gt', '0.1')).toEqual([1]);
    expect(keep('amount', 'eq', '0.100')).toEqual([0]);
    expect(keep('big', 'eq', 9007199254740993n)).toEqual([0]);
    expect(keep('at', 'lt', '2024-01-01T00:00:00.000001Z')).toEqual([1]);
  });

  it('treat NULL as a value for eq/ne/in/not_in and never match it with ordering ops', () => {
    expect(keep('amount', 'ne', '0.1')).toEqual([1, 2]);
    expect(keep('amount', 'eq', null)).toEqual([2]);
    expect(keep('amount', 'ne', null)).toEqual([0, 1]);
    expect(keep('big', 'in', [9007199254740992n, null])).toEqual([1, 2]);
    expect(keep('big', 'not_in', [9007199254740992n])).toEqual([0, 2]);
    expect(keep('big', 'not_in', [9007199254740992n, null])).toEqual([0]);
    expect(keep('big', 'gte', 0n)).toEqual([0, 1]);
  });

  it('compile to SQL with the same NULL semantics', () => {
    const render = (v: unknown): string => `'${String(v)}'`;
    const sql = (op: RowFilter['op'], value: RowFilter['value']): string => filterPredicate({ column: 'c', type: { kind: 'string' }, op, value }, '"c"', render);
    expect(sql('ne', 'x')).toBe(`("c" <> 'x' OR "c" IS NULL)`);
    expect(sql('eq', null)).toBe('"c" IS NULL');
    expect(sql('in', ['a', null])).toBe(`("c" IN ('a') OR "c" IS NULL)`);
    expect(sql('not_in', ['a'])).toBe(`("c" NOT IN ('a') OR "c" IS NULL)`);
    expect(sql('not_in', ['a', null])).toBe(`("c" NOT IN ('a') AND "c" IS NOT NULL)`);
    expect(sql('in', [null])).toBe('"c" IS NULL');
    expect(sql('lte', 'z')).toBe(`"c" <= 'z'`);
  });
});
