import { expect } from 'vitest';
import type { DestinationCapabilities } from '../../src/core/connector.js';
import type { Row } from '../../src/core/schema.js';
import type { DestinationUnderTest, RegisterCase } from './destination-harness.js';
import { landedOrders, ORDER_COLUMNS, ORDER_KEY, orderBatch, seedMode } from './order-table.js';
import { loadBatches, NEVER, openRequest } from './table-io.js';

/** replace, append and truncate, each registered only where the destination writes it. */
export function describeWriteModeCases(test: RegisterCase, under: () => DestinationUnderTest, capabilities: DestinationCapabilities): void {
  const { writes } = capabilities;
  if (writes.includes('replace')) {
    test('replace swaps in exactly the rows of the new load', async () => {
      const target = under().target('replaced');
      const load = (...batches: Row[][]) => loadBatches(under().destination, openRequest(target, 'replace', ORDER_COLUMNS), batches.map((rows) => orderBatch(rows)));
      await load([['eu', 1, '1.00', null], ['eu', 2, '2.00', null]]);
      expect(await load([['us', 4, '4.00', null]], [['us', 5, '5.00', '2024-01-01T00:00:00']])).toBe(2);
      expect(await landedOrders(under(), target)).toEqual([['us', 4, '4.00', null], ['us', 5, '5.00', '2024-01-01T00:00:00']]);
    });
  }
  if (writes.includes('append')) {
    test('append adds to the rows already there, duplicates included', async () => {
      const target = under().target('appended');
      const load = (...batches: Row[][]) => loadBatches(under().destination, openRequest(target, 'append', ORDER_COLUMNS), batches.map((rows) => orderBatch(rows)));
      await load([['eu', 1, '1.00', null]]);
      expect(await load([['eu', 2, '2.50', null]], [['eu', 1, '1.00', null]])).toBe(2);
      expect(await landedOrders(under(), target)).toEqual([['eu', 1, '1.00', null], ['eu', 1, '1.00', null], ['eu', 2, '2.50', null]]);
    });
  }
  if (writes.includes('truncate')) {
    test('truncate empties the table and lands only the new rows', async () => {
      const target = under().target('truncated');
      const load = (rows: Row[]) => loadBatches(under().destination, openRequest(target, 'truncate', ORDER_COLUMNS), [orderBatch(rows)]);
      await load([['eu', 1, '1.00', null], ['eu', 2, '2.00', null]]);
      expect(await load([['us', 3, '3.00', null]])).toBe(1);
      expect(await landedOrders(under(), target)).toEqual([['us', 3, '3.00', null]]);
    });
  }
  describeAbortCases(test, under, capabilities);
}

/** Abort in every mode the destination writes leaves the target as it was and nothing staged. */
function describeAbortCases(test: RegisterCase, under: () => DestinationUnderTest, { writes }: DestinationCapabilities): void {
  test(`abort leaves the target unchanged in every mode (${writes.join(', ')}) and nothing staged`, async () => {
    const target = under().target('aborted');
    const before: Row[] = [['us', 4, '4.00', null], ['us', 5, '5.00', null]];
    await loadBatches(under().destination, openRequest(target, seedMode(writes), ORDER_COLUMNS), [orderBatch(before)]);
    for (const write of writes) {
      const writer = await under().destination.open(openRequest(target, write, ORDER_COLUMNS, { primaryKey: ORDER_KEY }), NEVER);
      await writer.write(orderBatch([['us', 4, '9.99', null], ['xx', 99, '0.00', null]]));
      await writer.abort();
      await writer.abort();
      expect(await landedOrders(under(), target), write).toEqual(before);
    }
    expect(await under().leftovers()).toEqual([]);
  });

  test('abort of a load into a new target leaves no table behind', async () => {
    const target = under().target('never_published');
    const writer = await under().destination.open(openRequest(target, seedMode(writes), ORDER_COLUMNS), NEVER);
    await writer.write(orderBatch([['eu', 1, '1.00', null]]));
    await writer.abort();
    const streams = await under().source.discover();
    expect(streams.filter((s) => s.table.name === target.name && s.table.schema === target.schema)).toEqual([]);
    expect(await under().leftovers()).toEqual([]);
  });
}
