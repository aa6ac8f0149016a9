import { expect } from 'vitest';
import type { Checkpoint } from '../../src/core/checkpoint.js';
import type { MirrorOptions, OpenRequest } from '../../src/core/connector.js';
import { ConfigError, DataError } from '../../src/core/errors.js';
import type { Row, TableRef } from '../../src/core/schema.js';
import { type DestinationUnderTest, type RegisterCase, landed } from './destination-harness.js';
import { landedOrders, ORDER_COLUMNS, ORDER_KEY, orderBatch } from './order-table.js';
import { loadBatches, NEVER, openRequest } from './table-io.js';

const RUN_1 = '2024-05-01T10:00:00.5Z';
const RUN_2 = '2024-05-02T10:00:00.123456Z';
const RUN_3 = '2024-05-03T10:00:00Z';

function mirrorRequest(target: TableRef, mirror: Partial<MirrorOptions>, syncedAt: string): OpenRequest {
  return openRequest(target, 'mirror', ORDER_COLUMNS, { primaryKey: ORDER_KEY, mirror: { delete: 'hard', allowEmpty: false, ...mirror }, syncedAt });
}

/** Load `rows` with a mirror writer; the commit result (rows merged, rows deleted). */
async function mirror(under: DestinationUnderTest, request: OpenRequest, rows: readonly Row[], checkpoint?: Checkpoint): Promise<{ rows: number; deleted?: number }> {
  const writer = await under.destination.open(request, NEVER);
  try {
    if (rows.length > 0) await writer.write(orderBatch(rows));
    return await writer.commit(checkpoint);
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

const SEED: readonly Row[] = [['eu', 1, '1.00', null], ['eu', 2, '2.00', null], ['us', 1, '3.00', null], ['us', 2, '4.00', null]];

/**
 * `mirror`: merge on the key, then delete (or mark) target rows whose key the
 * load lacks, in the commit's transaction; guards refuse suspicious deletes
 * and then change nothing. Registered for destinations that write `mirror`.
 */
export function describeMirrorCases(test: RegisterCase, under: () => DestinationUnderTest): void {
  test('mirror (hard) upserts the load and deletes the rows whose key it lacks, with the checkpoint', async () => {
    const target = under().target('mirrored');
    await loadBatches(under().destination, openRequest(target, 'replace', ORDER_COLUMNS), [orderBatch(SEED)]);
    const checkpoint: Checkpoint = { sync: 's', stream: target.name, runId: 'r1', seq: 7, state: { cursor: { column: 'id', kind: 'int32', value: '1', boundaryKeys: [] } } };
    const result = await mirror(under(), mirrorRequest(target, {}, RUN_1), [['eu', 1, '9.00', null], ['us', 3, '5.00', '2024-01-01T00:00:00']], checkpoint);
    expect(result.deleted).toBe(3);
    expect(await landedOrders(under(), target)).toEqual([['eu', 1, '9.00', null], ['us', 3, '5.00', '2024-01-01T00:00:00']]);
    if (under().destination.capabilities.transactional) expect(await under().destination.readCheckpoint('s', target.name)).toEqual(checkpoint);
    const again = await mirror(under(), mirrorRequest(target, {}, RUN_2), [['eu', 1, '9.00', null], ['us', 3, '5.00', '2024-01-01T00:00:00']]);
    expect(again.deleted).toBe(0);
    expect(await landedOrders(under(), target)).toHaveLength(2);
    expect(await under().leftovers()).toEqual([]);
  });

  test('mirror into a new table creates it with the key and deletes nothing', async () => {
    const target = under().target('mirrored_new');
    const result = await mirror(under(), mirrorRequest(target, {}, RUN_1), [['eu', 1, '1.00', null], ['eu', 1, '2.00', null]]);
    expect(result.rows).toBe(1);
    expect(await landedOrders(under(), target)).toEqual([['eu', 1, '2.00', null]]);
    expect((await under().source.describe({ kind: 'table', table: target })).primaryKey).toEqual(ORDER_KEY);
  });

  test('mirror (soft) stamps _ferry_deleted_at with the run time, and clears it when the row comes back', async () => {
    const target = under().target('mirrored_soft');
    await mirror(under(), mirrorRequest(target, { delete: 'soft' }, RUN_1), [['eu', 1, '1.00', null], ['eu', 2, '2.00', null], ['us', 1, '3.00', null]]);
    const second = await mirror(under(), mirrorRequest(target, { delete: 'soft' }, RUN_2), [['eu', 1, '1.50', null]]);
    expect(second.deleted).toBe(2);
    const back = await landed(under(), target);
    expect(back.columns.map((c) => [c.name, c.type.kind])).toEqual([...ORDER_COLUMNS.map((c) => [c.name, c.type.kind]), ['_ferry_deleted_at', 'timestamptz']]);
    expect(await landedOrders(under(), target)).toEqual([['eu', 1, '1.50', null, null], ['eu', 2, '2.00', null, RUN_2], ['us', 1, '3.00', null, RUN_2]]);
    // A marked row stays marked with its first deletion time; a row that reappears is live again.
    const third = await mirror(under(), mirrorRequest(target, { delete: 'soft' }, RUN_3), [['eu', 1, '1.50', null], ['eu', 2, '2.25', null]]);
    expect(third.deleted).toBe(0);
    expect(await landedOrders(under(), target)).toEqual([['eu', 1, '1.50', null, null], ['eu', 2, '2.25', null, null], ['us', 1, '3.00', null, RUN_2]]);
  });

  test('mirror (soft) on a table that existed without _ferry_deleted_at adds the column', async () => {
    const target = under().target('mirrored_soft_late');
    await loadBatches(under().destination, openRequest(target, 'replace', ORDER_COLUMNS), [orderBatch(SEED.slice(0, 2))]);
    expect((await mirror(under(), mirrorRequest(target, { delete: 'soft' }, RUN_1), [['eu', 2, '2.00', null]])).deleted).toBe(1);
    expect(await landedOrders(under(), target)).toEqual([['eu', 1, '1.00', null, RUN_1], ['eu', 2, '2.00', null, null]]);
  });

  test('mirror_scope limits deletes to the target rows matching it', async () => {
    const target = under().target('mirrored_scoped');
    await mirror(under(), mirrorRequest(target, {}, RUN_1), SEED);
    const result = await mirror(under(), mirrorRequest(target, { scope: "region = 'eu'" }, RUN_2), [['eu', 2, '2.50', null]]);
    expect(result.deleted).toBe(1);
    expect(await landedOrders(under(), target)).toEqual([['eu', 2, '2.50', null], ['us', 1, '3.00', null], ['us', 2, '4.00', null]]);
  });

  test('a mirror_scope naming no column of the target fails as a ConfigError about mirror_scope and changes nothing', async () => {
    const target = under().target('mirrored_bad_scope');
    await mirror(under(), mirrorRequest(target, {}, RUN_1), SEED);
    for (const guard of [{}, { maxDeletePercent: 90 }]) {
      const refused = await mirror(under(), mirrorRequest(target, { scope: 'no_such_column = 7', ...guard }, RUN_2), [['eu', 1, '5.00', null]]).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ConfigError);
      expect((refused as ConfigError).context.key).toBe('mirror_scope');
      expect((refused as ConfigError).message).toContain('no_such_column');
    }
    expect(await landedOrders(under(), target)).toEqual(SEED);
    expect(await under().leftovers()).toEqual([]);
  });

  test('an empty source read is refused and changes nothing, unless allowEmpty', async () => {
    const target = under().target('mirrored_empty');
    await mirror(under(), mirrorRequest(target, {}, RUN_1), SEED);
    const refused = await mirror(under(), mirrorRequest(target, {}, RUN_2), []).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DataError);
    expect((refused as DataError).message).toContain('no rows');
    expect((refused as DataError).context.hint).toContain('mirror_allow_empty');
    expect(await landedOrders(under(), target)).toEqual(SEED);
    expect(await under().leftovers()).toEqual([]);
    // An empty scope is not a wipe: nothing in it to delete.
    expect((await mirror(under(), mirrorRequest(target, { scope: "region = 'xx'" }, RUN_2), [])).deleted).toBe(0);
    expect((await mirror(under(), mirrorRequest(target, { allowEmpty: true, scope: "region = 'us'" }, RUN_2), [])).deleted).toBe(2);
    expect(await landedOrders(under(), target)).toEqual(SEED.slice(0, 2));
  });

  test('maxDeletePercent refuses a larger share of deletes and changes nothing; a smaller share passes', async () => {
    const target = under().target('mirrored_guarded');
    await mirror(under(), mirrorRequest(target, {}, RUN_1), SEED);
    const refused = await mirror(under(), mirrorRequest(target, { maxDeletePercent: 50 }, RUN_2), [['eu', 1, '7.00', null]]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DataError);
    expect((refused as DataError).message).toContain('3 of the 4 rows');
    expect(await landedOrders(under(), target)).toEqual(SEED);
    const passed = await mirror(under(), mirrorRequest(target, { maxDeletePercent: 50 }, RUN_2), [['eu', 1, '7.00', null], ['us', 2, '4.00', null]]);
    expect(passed.deleted).toBe(2);
    expect(await landedOrders(under(), target)).toEqual([['eu', 1, '7.00', null], ['us', 2, '4.00', null]]);
  });

  test('a commit that fails after its deletes (storing the checkpoint throws) rolls them back with the merge', async () => {
    const target = under().target('mirrored_failed_commit');
    await mirror(under(), mirrorRequest(target, {}, RUN_1), SEED);
    // The checkpoint is stored last in the publish transaction; a state that cannot be serialized fails it there.
    const state = Object.defineProperty({}, 'cursor', { enumerable: true, get: () => { throw new Error('injected checkpoint failure'); } });
    const failing: Checkpoint = { sync: 's', stream: target.name, runId: 'r2', seq: 9, state };
    const failed = await mirror(under(), mirrorRequest(target, {}, RUN_2), [['eu', 1, '5.00', null]], failing).catch((e: unknown) => e);
    expect(String(failed)).toContain('injected checkpoint failure');
    expect(await landedOrders(under(), target)).toEqual(SEED);
    expect(await under().leftovers()).toEqual([]);
  });

  test('an aborted mirror deletes nothing', async () => {
    const target = under().target('mirrored_aborted');
    await mirror(under(), mirrorRequest(target, { delete: 'soft' }, RUN_1), SEED);
    const writer = await under().destination.open(mirrorRequest(target, { delete: 'soft' }, RUN_2), NEVER);
    await writer.write(orderBatch([['eu', 1, '0.00', null]]));
    await writer.abort();
    expect(await landedOrders(under(), target)).toEqual(SEED.map((r) => [...r, null]));
  });
}
