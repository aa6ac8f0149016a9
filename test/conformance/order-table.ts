import type { WriteMode } from '../../src/core/connector.js';
import type { Batch, Column, Row, TableRef } from '../../src/core/schema.js';
import { type DestinationUnderTest, landed } from './destination-harness.js';
import { sortRows } from './table-io.js';

/**
 * The small keyed table the write-mode, checkpoint and schema-change cases
 * load: a two-column key (region, id), an exact decimal and a cursor.
 */
export const ORDER_COLUMNS: readonly Column[] = [
  { name: 'region', type: { kind: 'string' }, nullable: false },
  { name: 'id', type: { kind: 'int32' }, nullable: false },
  { name: 'amount', type: { kind: 'decimal', precision: 10, scale: 2 }, nullable: true },
  { name: 'updated', type: { kind: 'timestamp' }, nullable: true },
];

/** The order table's key, for merge. */
export const ORDER_KEY = ['region', 'id'] as const;

export function orderBatch(rows: readonly Row[], columns: readonly Column[] = ORDER_COLUMNS): Batch {
  return { columns, rows };
}

/** The rows at `target`, ordered by (region, id). */
export async function landedOrders(under: DestinationUnderTest, target: TableRef): Promise<Row[]> {
  return sortRows(await landed(under, target), ORDER_KEY.length);
}

/** The write mode that creates a table for a case to change: the first of replace, truncate, append it supports. */
export function seedMode(writes: readonly WriteMode[]): WriteMode {
  const mode = (['replace', 'truncate', 'append'] as const).find((m) => writes.includes(m));
  if (mode === undefined) throw new Error(`a destination writing only ${writes.join(', ')} cannot be seeded`);
  return mode;
}
