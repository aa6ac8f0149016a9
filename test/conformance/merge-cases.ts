import { expect } from 'vitest';
import type { DestinationCapabilities } from '../../src/core/connector.js';
import type { DestinationUnderTest, RegisterCase } from './destination-harness.js';
import { landedOrders, ORDER_COLUMNS, ORDER_KEY, orderBatch } from './order-table.js';
import { loadBatches, openRequest } from './table-io.js';

/** Merge on a two-column key; registered only for destinations that write `merge`. */
export function describeMergeCases(test: RegisterCase, under: () => DestinationUnderTest, { writes }: DestinationCapabilities): void {
  test('merge keeps one row per two-column key: highest cursor wins, NULL cursor loses, across batches', async () => {
    const target = under().target('merged');
    const request = openRequest(target, 'merge', ORDER_COLUMNS, { primaryKey: ORDER_KEY, cursorColumn: 'updated' });
    await loadBatches(under().destination, request, [orderBatch([['eu', 1, '1.00', '2024-01-01T00:00:00'], ['us', 1, '1.50', '2024-01-01T00:00:00']])]);
    const published = await loadBatches(under().destination, request, [
      orderBatch([['eu', 1, '9.00', '2024-03-01T00:00:00'], ['eu', 1, '2.00', '2024-02-01T00:00:00'], ['eu', 3, '5.00', null]]),
      orderBatch([
        ['eu', 1, '7.00', null],
        ['eu', 2, '3.00', '2024-01-01T00:00:00.5'],
        ['eu', 2, '4.00', '2024-01-01T00:00:00.25'],
        ['eu', 3, '6.00', '2020-01-01T00:00:00'],
      ]),
    ]);
    expect(published).toBe(3);
    expect(await landedOrders(under(), target)).toEqual([
      ['eu', 1, '9.00', '2024-03-01T00:00:00'],
      ['eu', 2, '3.00', '2024-01-01T00:00:00.5'],
      ['eu', 3, '6.00', '2020-01-01T00:00:00'],
      ['us', 1, '1.50', '2024-01-01T00:00:00'],
    ]);
    expect((await under().source.describe({ kind: 'table', table: target })).primaryKey).toEqual(ORDER_KEY);
  });

  if (writes.includes('replace')) {
    test('merge into a table made by replace (without a key) upserts on the key', async () => {
      const target = under().target('merged_after_replace');
      await loadBatches(under().destination, openRequest(target, 'replace', ORDER_COLUMNS), [orderBatch([['eu', 1, '1.00', null], ['eu', 3, '3.00', null]])]);
      const request = openRequest(target, 'merge', ORDER_COLUMNS, { primaryKey: ORDER_KEY });
      await loadBatches(under().destination, request, [orderBatch([['eu', 1, '5.00', null], ['eu', 2, '6.00', null]])]);
      expect(await landedOrders(under(), target)).toEqual([['eu', 1, '5.00', null], ['eu', 2, '6.00', null], ['eu', 3, '3.00', null]]);
    });
  }
}
