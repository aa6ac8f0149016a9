import { describe, expect, it } from 'vitest';
import type { TargetTable } from '../core/connector.js';
import { SchemaChangeError } from '../core/errors.js';
import { DEFAULT_SCHEMA_CONTRACT, contractSummary, resolveContract, type SchemaContract } from '../core/schema-contract.js';
import type { Column, LogicalType } from '../core/schema.js';
import { ContractBatches } from './contract-batches.js';
import { planContract, type ContractInput } from './contract-plan.js';

const col = (name: string, type: LogicalType): Column => ({ name, type, nullable: true });
const target = (columns: Column[], namesIgnoreCase = false, refusal?: string): TargetTable => ({ columns, namesIgnoreCase, widenRefusal: () => refusal });
const input = (columns: Column[], existing: TargetTable | undefined, contract: Partial<SchemaContract> = {}, write: ContractInput['write'] = 'append'): ContractInput => ({
  stream: 'orders',
  targetLabel: 'raw.orders',
  columns,
  write,
  contract: resolveContract([contract]),
  target: existing,
});

describe('planContract', () => {
  it('matches names ignoring case where the destination does, keeping the source spelling for keys', () => {
    const plan = planContract(input([col('ID', { kind: 'int32' }), col('Qty', { kind: 'int64' })], target([col('id', { kind: 'int32' }), col('qty', { kind: 'int32' })], true)));
    expect(plan.columns.map((c) => [c.name, c.type.kind])).toEqual([['ID', 'int32'], ['Qty', 'int64']]);
    expect(plan.widen).toEqual(['Qty']);
    expect(plan.transforms).toBe(false);
    // Case-sensitive destinations see a new column instead.
    const strict = planContract(input([col('Qty', { kind: 'int32' })], target([col('qty', { kind: 'int32' })]), { columns: 'discard_value' }));
    expect(strict.dropValuesOf).toEqual([{ name: 'Qty', from: 0 }]);
  });

  it('replace widens through the new table, never with ALTER, and keeps a wider target type', () => {
    const plan = planContract(input([col('a', { kind: 'int64' }), col('b', { kind: 'int16' })], target([col('a', { kind: 'int16' }), col('b', { kind: 'int64' })], false, 'never asked'), {}, 'replace'));
    expect(plan.widen).toEqual([]);
    expect(plan.columns.map((c) => c.type.kind)).toEqual(['int64', 'int64']);
    expect(new ContractBatches(plan, 'orders').apply({ columns: plan.columns, rows: [[1n, 7]] }).rows).toEqual([[1n, 7n]]);
  });

  it('freeze reports every new column and every type problem at once', () => {
    const error = (() => {
      try {
        return planContract(input([col('a', { kind: 'string' }), col('b', { kind: 'json' }), col('c', { kind: 'uuid' }), col('d', { kind: 'int32' })], target([col('a', { kind: 'int32' }), col('b', { kind: 'string' })]), { columns: 'freeze' }));
      } catch (caught) {
        return caught;
      }
    })() as SchemaChangeError;
    expect(error).toBeInstanceOf(SchemaChangeError);
    expect(error.message).toBe(
      'the source has new column(s) "c", "d" that target raw.orders lacks, and schema_contract.columns is freeze\n' +
        '  column "a" of raw.orders: source string does not fit target int32 (type change)\n' +
        '  column "b" of raw.orders: source json does not fit target string (type change)',
    );
    expect(error.context.key).toBe('schema_contract.data_type');
  });

  it('a variant column of the wrong type is refused, not reused', () => {
    const existing = target([col('qty', { kind: 'int32' }), col('qty__v_string', { kind: 'int32' })]);
    expect(() => planContract(input([col('qty', { kind: 'string' })], existing, { data_type: 'evolve' }))).toThrow('variant column "qty__v_string" of raw.orders is int32 and cannot hold string');
  });

  it('counts dropped rows once, by the first column that dropped them', () => {
    const plan = planContract(input([col('a', { kind: 'string' }), col('n', { kind: 'string' })], target([col('a', { kind: 'int32' })]), { columns: 'discard_row', data_type: 'discard_row' }));
    const batches = new ContractBatches(plan, 'orders');
    const out = batches.apply({ columns: plan.columns, rows: [['1', null], ['x', null], ['2', 'new'], ['3', null]] });
    expect(out.rows).toEqual([[1], [3]]);
    expect(batches.report()).toMatchObject({ rowsDiscarded: 2, valuesDiscarded: 0, columns: { a: { rows: 1, values: 0 }, n: { rows: 1, values: 0 } } });
  });

  it('a missing target under the default contract is created with every column, unchanged', () => {
    const plan = planContract(input([col('a', { kind: 'string' })], undefined, DEFAULT_SCHEMA_CONTRACT));
    expect(plan).toMatchObject({ discardTable: false, transforms: false, widen: [] });
  });

  it('refuses to NULL a value in a NOT NULL target column, and summarizes reports in one line', () => {
    const plan = planContract(input([col('a', { kind: 'string' })], target([{ name: 'a', type: { kind: 'int32' }, nullable: false }]), { data_type: 'discard_value' }));
    const batches = new ContractBatches(plan, 'orders');
    expect(batches.apply({ columns: plan.columns, rows: [['1']] }).rows).toEqual([[1]]);
    expect(() => batches.apply({ columns: plan.columns, rows: [['x']] })).toThrow('column "a" is NOT NULL in the target, so the string value x that int32 cannot hold cannot be replaced by NULL');
    const report = { rowsDiscarded: 2, valuesDiscarded: 1, columns: { a: { rows: 2, values: 1 } }, widened: ['b: int16 -> int32'], variants: [], tableDiscarded: false };
    expect(contractSummary(report)).toBe('discarded 2 rows and 1 values; a: 2 rows, 1 values; widened b: int16 -> int32');
  });
});
