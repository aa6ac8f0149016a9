import { expect } from 'vitest';
import { SchemaChangeError } from '../../src/core/errors.js';
import type { Column } from '../../src/core/schema.js';
import { type DestinationUnderTest, type RegisterCase, landed } from './destination-harness.js';
import { landedOrders, ORDER_COLUMNS, orderBatch } from './order-table.js';
import { loadBatches, NEVER, openRequest } from './table-io.js';

/** The order table with one column more than the table holds. */
const WIDER: readonly Column[] = [...ORDER_COLUMNS, { name: 'note', type: { kind: 'json' }, nullable: true }];

/**
 * A stream gaining a column: `evolve` adds it to the table, `freeze` refuses
 * it by name and leaves the table alone. Appends, as incremental streams do.
 */
export function describeSchemaChangeCases(test: RegisterCase, under: () => DestinationUnderTest): void {
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
}
