import { expect } from 'vitest';
import type { Checkpoint } from '../../src/core/checkpoint.js';
import type { DestinationCapabilities } from '../../src/core/connector.js';
import type { TableRef } from '../../src/core/schema.js';
import type { DestinationUnderTest, RegisterCase } from './destination-harness.js';
import { landedOrders, ORDER_COLUMNS, orderBatch } from './order-table.js';
import { loadBatches, NEVER, openRequest } from './table-io.js';

function checkpointFor(target: TableRef, seq: number): Checkpoint {
  return { sync: 's', stream: target.name, runId: `r${seq}`, seq, state: { cursor: { column: 'id', kind: 'int32', value: String(seq), boundaryKeys: [`["eu",${seq}]`] } } };
}

/**
 * Transactional destinations commit the checkpoint with the data and keep it
 * through an aborted load; the others must not claim one. Loads append, as
 * incremental streams do.
 */
export function describeCheckpointCases(test: RegisterCase, under: () => DestinationUnderTest, { transactional }: DestinationCapabilities): void {
  const write = 'append';
  if (!transactional) {
    test('does not claim a checkpoint: readCheckpoint is empty after a commit with one', async () => {
      const target = under().target('uncheckpointed');
      await loadBatches(under().destination, openRequest(target, write, ORDER_COLUMNS), [orderBatch([['eu', 2, null, null]])], checkpointFor(target, 2));
      expect(await landedOrders(under(), target)).toEqual([['eu', 2, null, null]]);
      expect(await under().destination.readCheckpoint('s', target.name)).toBeUndefined();
    });
    return;
  }
  test('commits the checkpoint with the data, keeps it when a load aborts, moves on with the next commit', async () => {
    const { destination } = under();
    const target = under().target('checkpointed');
    expect(await destination.readCheckpoint('s', target.name)).toBeUndefined();
    await loadBatches(destination, openRequest(target, write, ORDER_COLUMNS), [orderBatch([['eu', 2, null, null]])], checkpointFor(target, 2));
    expect(await destination.readCheckpoint('s', target.name)).toEqual(checkpointFor(target, 2));

    const aborted = await destination.open(openRequest(target, write, ORDER_COLUMNS), NEVER);
    await aborted.write(orderBatch([['eu', 3, null, null]]));
    await aborted.abort();
    expect(await destination.readCheckpoint('s', target.name)).toEqual(checkpointFor(target, 2));
    expect(await landedOrders(under(), target)).toEqual([['eu', 2, null, null]]);

    await loadBatches(destination, openRequest(target, write, ORDER_COLUMNS), [orderBatch([['eu', 3, null, null]])], checkpointFor(target, 3));
    expect(await destination.readCheckpoint('s', target.name)).toEqual(checkpointFor(target, 3));
    expect(await landedOrders(under(), target)).toEqual([['eu', 2, null, null], ['eu', 3, null, null]]);
    expect(await destination.readCheckpoint('s', 'another stream')).toBeUndefined();
  });
}
