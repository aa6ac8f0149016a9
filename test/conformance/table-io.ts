import type { Checkpoint } from '../../src/core/checkpoint.js';
import type { Destination, OpenRequest, ReadRequest, ReadTarget, Source, WriteMode } from '../../src/core/connector.js';
import type { Batch, Column, Row, TableRef } from '../../src/core/schema.js';
import { compareValues } from '../../src/core/values.js';

/**
 * Loading into a destination and reading back through a source, shared by the
 * conformance suite and the engine suites so each asserts what landed.
 */

/** A signal that never aborts, for calls the test does not cancel. */
export const NEVER: AbortSignal = new AbortController().signal;

/** An open request with the defaults the tests share (sync `s`, run `r1`, no key, evolve). */
export function openRequest(target: TableRef, write: WriteMode, columns: readonly Column[], extra: Partial<OpenRequest> = {}): OpenRequest {
  return { sync: 's', stream: target.name, runId: 'r1', target, columns, write, primaryKey: [], schemaChange: 'evolve', ...extra };
}

/** Stage `batches`, commit with `checkpoint`; the rows the commit reports. Aborts when anything fails. */
export async function loadBatches(destination: Destination, request: OpenRequest, batches: readonly Batch[], checkpoint?: Checkpoint): Promise<number> {
  const writer = await destination.open(request, NEVER);
  try {
    for (const batch of batches) await writer.write(batch);
    return (await writer.commit(checkpoint)).rows;
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/**
 * Every row of `targets`, one read after the other, with the columns of the
 * last batch. Bytes come back as plain Uint8Array (drivers hand out Buffers),
 * so rows compare with `toEqual` against canonical values.
 */
export async function readRows(source: Source, targets: readonly ReadTarget[], extra: Partial<ReadRequest> = {}): Promise<Batch> {
  const rows: Row[] = [];
  let columns: readonly Column[] = [];
  for (const target of targets) {
    const stream = target.kind === 'table' ? target.table.name : 'query';
    for await (const batch of source.read({ stream, target, batchSize: 1000, ...extra }, NEVER)) {
      columns = batch.columns;
      for (const row of batch.rows) rows.push(row.map((v) => (v instanceof Uint8Array ? new Uint8Array(v) : v)));
    }
  }
  return { columns, rows };
}

/** Rows ordered by their first `keyColumns` values (engines return rows in any order). */
export function sortRows(batch: Batch, keyColumns = 1): Row[] {
  const kinds = batch.columns.slice(0, keyColumns).map((c) => c.type.kind);
  return [...batch.rows].sort((a, b) => {
    for (const [i, kind] of kinds.entries()) {
      const order = compareValues(kind, a[i] ?? null, b[i] ?? null);
      if (order !== 0) return order;
    }
    return 0;
  });
}
