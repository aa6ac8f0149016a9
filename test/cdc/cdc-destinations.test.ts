import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CDC_COLUMN_TYPES, cdcFixture, snapshotRegistry, type CdcFixture } from './cdc-fixture.js';

// Creating a replication slot waits for every transaction running on the server to end:
// on a shared server that can take minutes.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });


/** The same changes applied to SQLite and DuckDB: the destination ends equal to the source. */
describe.each(['sqlite', 'duckdb'] as const)('postgres cdc -> %s', (kind) => {
  let f: CdcFixture;

  beforeAll(async () => {
    f = await cdcFixture(kind, kind);
    await f.source.query('CREATE TABLE items (id bigint PRIMARY KEY, name text, amount numeric(12,3), at timestamptz, big text, flag boolean, raw bytea)');
    await f.source.query(`INSERT INTO items SELECT g, 'n' || g, g * 1.5, timestamptz '2025-01-01 00:00:00.123456+00' + g * interval '1 second', NULL, g % 2 = 0, '\\x00ff'::bytea FROM generate_series(1, 300) g`);
  });
  afterAll(async () => {
    await f.close();
  });

  it('snapshots and applies changes: TOAST kept, keys moved, new column, soft deletes with metadata', async () => {
    const project = f.project([{}], { lsn_column: true, synced_at_column: true, deletes: 'soft' });
    const lsns: bigint[] = [];
    const before = Date.now();
    expect((await f.run(project, snapshotRegistry(lsns))).error).toBeNull();
    const after = Date.now();

    // Right after the snapshot, before any change: Ferry's columns exist, with the types the
    // change apply uses, and every row holds the snapshot's position, when it was written, no deletion.
    expect(lsns).toHaveLength(1);
    const snapshot = String(lsns[0]);
    expect(await f.ferryColumnTypes('items')).toEqual(CDC_COLUMN_TYPES[kind]);
    const loaded = await f.ferryRows('items');
    expect(loaded).toHaveLength(300);
    expect(loaded.filter((r) => r.lsn !== snapshot || r.deleted !== null || r.synced === null || r.synced === undefined || r.synced < before || r.synced > after)).toEqual([]);
    expect(new Set(loaded.map((r) => r.synced)).size).toBe(1);
    expect((await f.query('SELECT count(*) AS n FROM items WHERE _ferry_deleted_at IS NULL')).map((r) => Number(r['n']))).toEqual([300]);
    const snapshotSynced = loaded[0]?.synced ?? 0;

    const big = "(SELECT string_agg(md5(g::text), '') FROM generate_series(1, 100) g)";
    await f.source.query(`UPDATE items SET big = ${big} WHERE id = 1`);
    await f.source.query("UPDATE items SET name = 'toast kept' WHERE id = 1");
    await f.source.query("INSERT INTO items VALUES (301, 'new', 0.001, '1999-12-31 23:59:59.999999+00', NULL, true, '\\xdeadbeef')");
    await f.source.query('DELETE FROM items WHERE id BETWEEN 10 AND 19');
    await f.source.query('UPDATE items SET id = 5000 WHERE id = 5');
    await f.source.query('ALTER TABLE items ADD COLUMN extra int');
    await f.source.query('UPDATE items SET extra = 7 WHERE id = 2');
    const second = await f.run(project);
    expect(second.error).toBeNull();
    const live = await f.query('SELECT count(*) AS n FROM items WHERE _ferry_deleted_at IS NULL');
    expect(Number(live[0]?.['n'])).toBe(291);
    const deleted = await f.query('SELECT id FROM items WHERE _ferry_deleted_at IS NOT NULL ORDER BY id');
    expect(deleted.map((r) => Number(r['id']))).toEqual([5, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(await f.query('SELECT name, length(big) AS len FROM items WHERE id = 1')).toEqual([{ name: 'toast kept', len: kind === 'sqlite' ? 3200 : 3200n }]);
    const added = await f.query('SELECT name, CAST(amount AS VARCHAR) AS amount, CAST(flag AS INTEGER) AS flag, hex(raw) AS raw, _ferry_lsn > 0 AS lsn FROM items WHERE id = 301');
    expect(added.map((r) => [r['name'], r['amount'], Number(r['flag']), r['raw'], Boolean(r['lsn'])])).toEqual([['new', '0.001', 1, 'DEADBEEF', true]]);
    expect((await f.query('SELECT extra FROM items WHERE id = 2')).map((r) => Number(r['extra']))).toEqual([7]);
    expect((await f.query('SELECT count(*) AS n FROM items WHERE id = 5000')).map((r) => Number(r['n']))).toEqual([1]);

    // Changes overwrite the snapshot's values; rows no change touched keep them.
    expect(await f.ferryColumnTypes('items')).toEqual(CDC_COLUMN_TYPES[kind]);
    const byId = new Map((await f.ferryRows('items')).map((r) => [r.id, r]));
    for (const id of ['1', '2', '301', '5000', '10', '5']) {
      expect(BigInt(byId.get(id)?.lsn ?? '0'), `_ferry_lsn of ${id}`).toBeGreaterThan(BigInt(snapshot));
      expect(byId.get(id)?.synced, `_ferry_synced_at of ${id}`).toBeGreaterThanOrEqual(after);
    }
    expect(byId.get('3')).toEqual({ id: '3', lsn: snapshot, synced: snapshotSynced, deleted: null });
    expect(byId.get('10')?.deleted).toBeGreaterThanOrEqual(after);
  });
});
