import { expect } from 'vitest';
import type { DestinationCapabilities, OpenRequest, WriteMode } from '../../src/core/connector.js';
import type { Row, TableRef } from '../../src/core/schema.js';
import { type DestinationUnderTest, type RegisterCase, landed } from './destination-harness.js';
import { ORDER_COLUMNS, ORDER_KEY, orderBatch } from './order-table.js';
import { loadBatches, openRequest } from './table-io.js';

const RUN_1 = { runId: 'r1', syncedAt: '2024-05-01T10:00:00.5Z' };
const RUN_2 = { runId: '20240502T100000Z-abc123', syncedAt: '2024-05-02T10:00:00.123456Z' };
const M1 = [RUN_1.syncedAt, RUN_1.runId];
const M2 = [RUN_2.syncedAt, RUN_2.runId];

function metaRequest(target: TableRef, write: WriteMode, run: { runId: string; syncedAt: string }): OpenRequest {
  return openRequest(target, write, ORDER_COLUMNS, { primaryKey: ORDER_KEY, metadataColumns: ['synced_at', 'run_id'], ...run });
}

/** Every row, in a total order (append may land equal keys twice). */
async function landedRows(under: DestinationUnderTest, target: TableRef): Promise<Row[]> {
  const rows = (await landed(under, target)).rows;
  const text = (row: Row): string => JSON.stringify(row);
  return [...rows].sort((a, b) => (text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0));
}

const FIRST: readonly Row[] = [['eu', 1, '1.00', null], ['eu', 2, '2.00', null]];
const SECOND: readonly Row[] = [['eu', 2, '2.50', null], ['eu', 3, '3.00', null]];

/** What a second load (SECOND, run 2) over a first one (FIRST, run 1) leaves, per write mode. */
const EXPECTED: Readonly<Record<WriteMode, readonly Row[]>> = {
  replace: [['eu', 2, '2.50', null, ...M2], ['eu', 3, '3.00', null, ...M2]],
  truncate: [['eu', 2, '2.50', null, ...M2], ['eu', 3, '3.00', null, ...M2]],
  append: [['eu', 1, '1.00', null, ...M1], ['eu', 2, '2.00', null, ...M1], ['eu', 2, '2.50', null, ...M2], ['eu', 3, '3.00', null, ...M2]],
  merge: [['eu', 1, '1.00', null, ...M1], ['eu', 2, '2.50', null, ...M2], ['eu', 3, '3.00', null, ...M2]],
  mirror: [['eu', 2, '2.50', null, ...M2], ['eu', 3, '3.00', null, ...M2]],
};

/**
 * `metadataColumns`: `_ferry_synced_at` (the run's timestamp) and
 * `_ferry_run_id` on every row written, in every write mode the destination
 * has, and added to a table that existed without them.
 */
export function describeMetadataCases(test: RegisterCase, under: () => DestinationUnderTest, { writes }: DestinationCapabilities, tableSchemas: boolean): void {
  for (const write of writes) {
    test(`metadata columns land with their values in ${write}`, async () => {
      const target = under().target(`meta_${write}`);
      await loadBatches(under().destination, metaRequest(target, write, RUN_1), [orderBatch(FIRST)]);
      await loadBatches(under().destination, metaRequest(target, write, RUN_2), [orderBatch(SECOND)]);
      const back = await landed(under(), target);
      expect(back.columns.slice(ORDER_COLUMNS.length).map((c) => [c.name, c.type.kind])).toEqual([['_ferry_synced_at', 'timestamptz'], ['_ferry_run_id', 'string']]);
      expect(await landedRows(under(), target)).toEqual([...EXPECTED[write]].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)));
    });
  }

  if (!tableSchemas) return;
  const evolving = (['merge', 'append'] as const).find((w) => writes.includes(w));
  if (evolving === undefined) return;
  test(`metadata columns are added to a table that existed without them (${evolving}); earlier rows read NULL`, async () => {
    const target = under().target('meta_evolved');
    await loadBatches(under().destination, openRequest(target, evolving, ORDER_COLUMNS, { primaryKey: ORDER_KEY }), [orderBatch([['us', 9, '9.00', null]])]);
    await loadBatches(under().destination, metaRequest(target, evolving, RUN_2), [orderBatch(SECOND)]);
    expect(await landedRows(under(), target)).toEqual([['eu', 2, '2.50', null, ...M2], ['eu', 3, '3.00', null, ...M2], ['us', 9, '9.00', null, null, null]]);
  });
}
