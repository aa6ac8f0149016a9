import { expect } from 'vitest';
import type { WriteMode } from '../../src/core/connector.js';
import { SchemaChangeError } from '../../src/core/errors.js';
import type { Column } from '../../src/core/schema.js';
import { type DestinationUnderTest, type RegisterCase, landed } from './destination-harness.js';
import { describeContractCases } from './contract-cases.js';
import { loadWithContract } from './contract-load.js';
import { landedOrders, ORDER_COLUMNS, orderBatch } from './order-table.js';
import { loadBatches, NEVER, openRequest } from './table-io.js';

/** The order table with one column more than the table holds. */
const WIDER: readonly Column[] = [...ORDER_COLUMNS, { name: 'note', type: { kind: 'json' }, nullable: true }];

/** Rows of the wider order table: two with a note, one without. */
const WIDER_ROWS = [['eu', 2, '2.00', null, '{"a": 1}'], ['eu', 3, '3.00', null, null], ['us', 4, '4.00', null, '[]']];

/**
 * A stream gaining a column: `evolve` adds it to the table, `freeze` refuses
 * it by name and leaves the table alone; the `columns` and `tables` contracts
 * through the engine's contract path; then widening and `data_type`.
 * Appends, as incremental streams do.
 */
export function describeSchemaChangeCases(test: RegisterCase, under: () => DestinationUnderTest, writes: readonly WriteMode[]): void {
  test('freeze refuses a new column with a SchemaChangeError naming it, and leaves the table as it was', async () => {
    const target = under().target('frozen');
    await loadBatches(under().destination, openRequest(target, 'append', ORDER_COLUMNS), [orderBatch([['eu', 1, '1.00', null]])]);
    const refused = await under().destination.open(openRequest(target, 'append', WIDER, { schemaChange: 'freeze' }), NEVER).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SchemaChangeError);
    expect((refused as SchemaChangeError).message).toContain('note');
    const back = await landed(under(), target);
    expect(back.columns.map((c) => c.name)).toEqual(ORDER_COLUMNS.map((c) => c.name));
    expect(back.rows).toEqual([['eu', 1, '1.00', null]]);
  });

  test('evolve adds the new column; earlier rows read NULL in it', async () => {
    const target = under().target('evolved');
    await loadBatches(under().destination, openRequest(target, 'append', ORDER_COLUMNS), [orderBatch([['eu', 1, '1.00', null]])]);
    await loadBatches(under().destination, openRequest(target, 'append', WIDER), [orderBatch([['eu', 2, '2.00', null, '{"a": [1, 2.50]}']], WIDER)]);
    expect((await landed(under(), target)).columns.map((c) => [c.name, c.type.kind])).toEqual(WIDER.map((c) => [c.name, c.type.kind]));
    expect(await landedOrders(under(), target)).toEqual([['eu', 1, '1.00', null, null], ['eu', 2, '2.00', null, '{"a": [1, 2.50]}']]);
  });

  describeColumnContractCases(test, under);
  describeTableContractCases(test, under);
  describeContractCases(test, under, writes);
}

async function seedOrders(under: DestinationUnderTest, name: string) {
  const target = under.target(name);
  await loadBatches(under.destination, openRequest(target, 'append', ORDER_COLUMNS), [orderBatch([['eu', 1, '1.00', null]])]);
  return target;
}

function describeColumnContractCases(test: RegisterCase, under: () => DestinationUnderTest): void {
  test('columns freeze (through the engine) names the new column and the table; nothing lands', async () => {
    const target = await seedOrders(under(), 'columns_frozen');
    const refused = await loadWithContract(under(), target, { columns: WIDER, rows: WIDER_ROWS, contract: { columns: 'freeze' } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SchemaChangeError);
    expect((refused as SchemaChangeError).message).toMatch(/new column\(s\) "note" that target \S*columns_frozen lacks, and schema_contract.columns is freeze/);
    expect(await landedOrders(under(), target)).toEqual([['eu', 1, '1.00', null]]);
  });

  test('columns discard_row drops the rows with a value in the new column, keeps the others, and counts them', async () => {
    const target = await seedOrders(under(), 'columns_rows');
    const load = await loadWithContract(under(), target, { columns: WIDER, rows: WIDER_ROWS, contract: { columns: 'discard_row' } });
    expect(load.rows).toBe(1);
    expect((await landed(under(), target)).columns.map((c) => c.name)).toEqual(ORDER_COLUMNS.map((c) => c.name));
    expect(await landedOrders(under(), target)).toEqual([['eu', 1, '1.00', null], ['eu', 3, '3.00', null]]);
    expect(load.report).toMatchObject({ rowsDiscarded: 2, valuesDiscarded: 0, columns: { note: { rows: 2, values: 0 } } });
  });

  test('columns discard_value loads every row without the new column, and counts the values dropped', async () => {
    const target = await seedOrders(under(), 'columns_values');
    const load = await loadWithContract(under(), target, { columns: WIDER, rows: WIDER_ROWS, contract: { columns: 'discard_value' } });
    expect(load.rows).toBe(3);
    expect((await landed(under(), target)).columns.map((c) => c.name)).toEqual(ORDER_COLUMNS.map((c) => c.name));
    expect(await landedOrders(under(), target)).toEqual([['eu', 1, '1.00', null], ['eu', 2, '2.00', null], ['eu', 3, '3.00', null], ['us', 4, '4.00', null]]);
    expect(load.report).toMatchObject({ rowsDiscarded: 0, valuesDiscarded: 2, columns: { note: { rows: 0, values: 2 } } });
  });
}

function describeTableContractCases(test: RegisterCase, under: () => DestinationUnderTest): void {
  test('tables freeze refuses to create a missing target; evolve creates it with every column', async () => {
    await seedOrders(under(), 'tables_neighbour');
    const target = under().target('tables_frozen');
    const refused = await loadWithContract(under(), target, { columns: WIDER, rows: WIDER_ROWS, contract: { tables: 'freeze', columns: 'freeze' } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SchemaChangeError);
    expect((refused as SchemaChangeError).message).toMatch(/target \S*tables_frozen does not exist and schema_contract.tables is freeze/);
    expect((await under().source.discover()).filter((s) => s.table.name === target.name && s.table.schema === target.schema)).toEqual([]);
    // A new table takes all its columns even when columns are frozen (as in dlt).
    const created = await loadWithContract(under(), target, { columns: WIDER, rows: WIDER_ROWS, contract: { columns: 'freeze' } });
    expect(created.rows).toBe(3);
    expect((await landed(under(), target)).columns.map((c) => c.name)).toEqual(WIDER.map((c) => c.name));
  });

  for (const mode of ['discard_row', 'discard_value'] as const) {
    test(`tables ${mode} discards the rows of a stream whose target does not exist, creates nothing, and counts them`, async () => {
      // Another table makes sure the database itself exists, so discover() can look.
      await seedOrders(under(), `tables_${mode}_neighbour`);
      const target = under().target(`tables_${mode}`);
      const load = await loadWithContract(under(), target, { columns: WIDER, rows: WIDER_ROWS, contract: { tables: mode } });
      expect(load).toMatchObject({ rows: 0, report: { rowsDiscarded: 3, valuesDiscarded: 0, tableDiscarded: true } });
      expect(load.log.join('\n')).toContain(`schema_contract.tables is ${mode}`);
      const streams = await under().source.discover();
      expect(streams.filter((s) => s.table.name === target.name && s.table.schema === target.schema)).toEqual([]);
    });
  }
}
