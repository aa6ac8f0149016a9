import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resyncCdc } from '../../src/engine/cdc/cdc-operations.js';
import { CDC_COLUMN_TYPES, cdcFixture, dropSlot, slotConfirmed, snapshotRegistry, type CdcFixture } from './cdc-fixture.js';

// Creating a replication slot waits for every transaction running on the server to end:
// on a shared server that can take minutes.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

let f: CdcFixture;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  f = await cdcFixture('pg');
  await f.source.query('CREATE TABLE items (id bigint PRIMARY KEY, name text, amount numeric(12,3), at timestamptz, big text)');
  await f.source.query(`INSERT INTO items SELECT g, 'n' || g, g * 1.5, timestamptz '2025-01-01 00:00:00.123456+00' + g * interval '1 second', NULL FROM generate_series(1, 500) g`);
});
afterAll(async () => {
  await f.close();
});

describe('postgres cdc -> postgres', () => {
  it('snapshots, then applies inserts, updates and deletes in catch-up runs', async () => {
    const project = f.project([{}]);
    const first = await f.run(project);
    expect(first.error).toBeNull();
    expect(first.status).toBe('success');
    expect(await f.rows('items', 'count(*)::int AS n')).toEqual([{ n: 500 }]);
    expect(await slotConfirmed(f.source, f.slot)).not.toBeNull();

    await f.source.query(`INSERT INTO items VALUES (501, 'new', 1.250, '2025-06-01 12:00:00.000001+00', NULL)`);
    await f.source.query(`UPDATE items SET name = 'changed', amount = 99.999 WHERE id = 2`);
    await f.source.query('DELETE FROM items WHERE id IN (3, 4)');
    await f.source.query('BEGIN; UPDATE items SET id = 10000 WHERE id = 5; COMMIT');
    const second = await f.run(project);
    expect(second.error).toBeNull();
    const log = await f.state.readLog(second.runId);
    expect(log.some((l) => l.message.includes('6 change(s) applied'))).toBe(true);
    const rows = await f.rows('items', "id::text, name, amount::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS at");
    expect(rows).toHaveLength(499);
    expect(rows.find((r) => r['id'] === '2')).toEqual({ id: '2', name: 'changed', amount: '99.999', at: '2025-01-01 00:00:02.123456' });
    expect(rows.find((r) => r['id'] === '501')).toEqual({ id: '501', name: 'new', amount: '1.250', at: '2025-06-01 12:00:00.000001' });
    expect(rows.some((r) => r['id'] === '3' || r['id'] === '4' || r['id'] === '5')).toBe(false);
    expect(rows.some((r) => r['id'] === '10000')).toBe(true);
  });
});

describe('postgres cdc: values, TOAST, identity, schema', () => {
  it('keeps an unchanged TOAST value (> 2 kB) when another column changes, with replica identity default and full', async () => {
    await f.source.query('CREATE TABLE docs (id int PRIMARY KEY, title text, body text)');
    await f.source.query('CREATE TABLE docs_full (id int PRIMARY KEY, title text, body text)');
    await f.source.query('ALTER TABLE docs_full REPLICA IDENTITY FULL');
    // md5 chains do not compress, so the value is stored out of line (TOASTed).
    const big = "(SELECT string_agg(md5(g::text || 'x'), '') FROM generate_series(1, 200) g)";
    await f.source.query(`INSERT INTO docs VALUES (1, 'a', ${big}), (2, 'b', 'short')`);
    await f.source.query(`INSERT INTO docs_full VALUES (1, 'a', ${big})`);
    const project = f.project([{ name: 'public.docs' }, { name: 'public.docs_full' }]);
    expect((await f.run(project)).error).toBeNull();
    await f.source.query("UPDATE docs SET title = 'a2' WHERE id = 1");
    await f.source.query("UPDATE docs_full SET title = 'a2' WHERE id = 1");
    await f.source.query('DELETE FROM docs_full WHERE id = 1');
    await f.source.query(`INSERT INTO docs_full VALUES (3, 'c', ${big})`);
    await f.source.query("UPDATE docs_full SET title = 'c2' WHERE id = 3");
    expect((await f.run(project)).error).toBeNull();
    const rows = await f.rows('docs', 'id, title, length(body) AS len, md5(body) AS sum');
    const expected = (await f.source.query(`SELECT md5(${big}) AS sum`)).rows[0]?.['sum'];
    expect(rows).toEqual([{ id: 1, title: 'a2', len: 6400, sum: expected }, { id: 2, title: 'b', len: 5, sum: expect.any(String) }]);
    expect(await f.rows('docs_full', 'id, title, length(body) AS len')).toEqual([{ id: 3, title: 'c2', len: 6400 }]);
  });

  it('refuses row filters and metadata_columns on a cdc stream, before it creates a slot', async () => {
    const slots = async (): Promise<number> => Number((await f.source.query<{ n: string }>('SELECT count(*) AS n FROM pg_replication_slots')).rows[0]?.n);
    const before = await slots();
    const here = { file: 'syncs/c.yml', line: 3, column: 5 };
    const filtered = await f.run(f.project([{ name: 'public.items', filters: [{ column: 'id', op: 'gt', value: '10', location: here, columnLocation: here, valueLocation: here }] }]));
    expect(filtered.status).toBe('failed');
    expect(filtered.error).toContain('mode cdc cannot filter rows with `filters`');
    const stamped = await f.run(f.project([{ name: 'public.items', metadata_columns: ['synced_at', 'run_id'] }]));
    expect(stamped.status).toBe('failed');
    expect(stamped.error).toContain('mode cdc does not write metadata_columns (synced_at, run_id)');
    expect(await slots()).toBe(before);
  });

  it('refuses a table without a primary key unless it has REPLICA IDENTITY FULL and a primary_key', async () => {
    await f.source.query('CREATE TABLE nokey (code text NOT NULL, qty int)');
    await f.source.query("INSERT INTO nokey VALUES ('a', 1), ('b', 2)");
    const refused = await f.run(f.project([{ name: 'public.nokey' }]));
    expect(refused.status).toBe('failed');
    expect(refused.error).toContain('has no primary key');
    expect(refused.error).toContain('REPLICA IDENTITY FULL');
    const wrongIdentity = await f.run(f.project([{ name: 'public.nokey', primary_key: ['code'] }]));
    expect(wrongIdentity.error).toContain('would not carry the key code');
    await f.source.query('ALTER TABLE nokey REPLICA IDENTITY FULL');
    const project = f.project([{ name: 'public.nokey', primary_key: ['code'] }]);
    expect((await f.run(project)).error).toBeNull();
    await f.source.query("UPDATE nokey SET qty = 20 WHERE code = 'b'");
    await f.source.query("DELETE FROM nokey WHERE code = 'a'");
    expect((await f.run(project)).error).toBeNull();
    expect(await f.rows('nokey')).toEqual([{ code: 'b', qty: 20 }]);
  });
});

describe('postgres cdc: evolution, large transactions, soft deletes, failures', () => {
  it('adds a column the source gained mid-stream, and snapshots a table added to the sync later', async () => {
    const meta = { lsn_column: true, synced_at_column: true, deletes: 'soft' };
    await f.source.query('CREATE TABLE grow (id int PRIMARY KEY, a text)');
    await f.source.query("INSERT INTO grow VALUES (1, 'x')");
    expect((await f.run(f.project([{ name: 'public.grow' }], meta))).error).toBeNull();
    await f.source.query("INSERT INTO grow VALUES (2, 'y')");
    await f.source.query('ALTER TABLE grow ADD COLUMN b numeric(10,2)');
    await f.source.query("INSERT INTO grow VALUES (3, 'z', 12.50)");
    await f.source.query('UPDATE grow SET b = 1.25 WHERE id = 1');
    await f.source.query('CREATE TABLE later (id int PRIMARY KEY, v text)');
    await f.source.query("INSERT INTO later VALUES (1, 'before the sync knew it')");
    const both = f.project([{ name: 'public.grow' }, { name: 'public.later' }], meta);
    const lsns: bigint[] = [];
    const before = Date.now();
    expect((await f.run(both, snapshotRegistry(lsns))).error).toBeNull();
    const after = Date.now();
    // Snapshotted mid-stream (a temporary slot's snapshot): Ferry's columns at once, at that snapshot's position.
    expect(lsns).toHaveLength(1);
    const snapshot = String(lsns[0]);
    expect(await f.ferryColumnTypes('later')).toEqual(CDC_COLUMN_TYPES.postgres);
    const loaded = await f.ferryRows('later');
    expect(loaded.map((r) => [r.id, r.lsn, r.deleted])).toEqual([['1', snapshot, null]]);
    expect(loaded[0]?.synced).toBeGreaterThanOrEqual(before);
    expect(loaded[0]?.synced).toBeLessThanOrEqual(after);
    // The grow changes came from the permanent slot, before that position.
    expect((await f.ferryRows('grow')).every((r) => r.lsn !== null && BigInt(r.lsn ?? 0) < BigInt(snapshot))).toBe(true);
    await f.source.query("INSERT INTO later VALUES (2, 'after')");
    expect((await f.run(both)).error).toBeNull();
    expect(await f.rows('grow', 'id, a, b::text')).toEqual([{ id: 1, a: 'x', b: '1.25' }, { id: 2, a: 'y', b: null }, { id: 3, a: 'z', b: '12.50' }]);
    expect(await f.rows('later', 'id, v')).toEqual([{ id: 1, v: 'before the sync knew it' }, { id: 2, v: 'after' }]);
    const streamed = await f.ferryRows('later');
    expect(streamed[0]).toEqual(loaded[0]);
    expect(BigInt(streamed[1]?.lsn ?? 0)).toBeGreaterThan(BigInt(snapshot));
  });

  it('applies a 100k-row transaction, and warns when the slot retains more WAL than allowed', async () => {
    await f.source.query('CREATE TABLE bulk (id int PRIMARY KEY, v int)');
    const project = f.project([{ name: 'public.bulk' }], { batch_rows: 5000, max_retained_wal_mb: 1 });
    expect((await f.run(project)).error).toBeNull();
    await f.source.query('INSERT INTO bulk SELECT g, g FROM generate_series(1, 100000) g');
    await f.source.query('BEGIN; UPDATE bulk SET v = -v WHERE id % 2 = 0; DELETE FROM bulk WHERE id % 10 = 0; COMMIT');
    const started = performance.now();
    const result = await f.run(project);
    console.log(`cdc: 100k-row insert + 50k update + 10k delete transactions applied in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect(result.error).toBeNull();
    const warning = (await f.state.readLog(result.runId)).find((l) => l.level === 'warn');
    expect(warning?.message).toMatch(/replication slot \S+ retains \d+ MB of WAL \(limit 1 MB\)/);
    expect(await f.rows('bulk', 'count(*)::int AS n, sum(v)::text AS s')).toEqual((await f.source.query('SELECT count(*)::int AS n, sum(v)::text AS s FROM bulk')).rows);
  });

  it('soft deletes and metadata columns: filled by the snapshot, overwritten by changes, filled again by a resync', async () => {
    await f.source.query('CREATE TABLE soft (id int PRIMARY KEY, v text)');
    await f.source.query("INSERT INTO soft VALUES (1, 'a'), (2, 'b')");
    const project = f.project([{ name: 'public.soft' }], { deletes: 'soft', lsn_column: true, synced_at_column: true, slot: `${f.slot}_soft` });
    const lsns: bigint[] = [];
    try {
      const before = Date.now();
      expect((await f.run(project, snapshotRegistry(lsns))).error).toBeNull();
      const after = Date.now();
      // Right after the snapshot, before any change.
      expect(lsns).toHaveLength(1);
      const snapshot = String(lsns[0]);
      expect(await f.ferryColumnTypes('soft')).toEqual(CDC_COLUMN_TYPES.postgres);
      const loaded = await f.ferryRows('soft');
      expect(loaded.map((r) => [r.id, r.lsn, r.deleted])).toEqual([['1', snapshot, null], ['2', snapshot, null]]);
      expect(loaded.every((r) => r.synced !== null && r.synced !== undefined && r.synced >= before && r.synced <= after)).toBe(true);
      expect(await f.rows('soft', 'count(*)::int AS n')).toEqual([{ n: 2 }]);
      expect(await f.target?.query('SELECT id FROM soft WHERE _ferry_deleted_at IS NULL ORDER BY id').then((r) => r.rows)).toEqual([{ id: 1 }, { id: 2 }]);

      await f.source.query('DELETE FROM soft WHERE id = 1');
      await f.source.query("UPDATE soft SET v = 'b2' WHERE id = 2");
      await f.source.query('TRUNCATE soft');
      await f.source.query("INSERT INTO soft VALUES (3, 'c')");
      expect((await f.run(project)).error).toBeNull();
      const rows = await f.rows('soft', '*');
      expect(rows.map((r) => [r['id'], r['v'], r['_ferry_deleted_at'] !== null, r['_ferry_lsn'] !== null, r['_ferry_synced_at'] !== null])).toEqual([
        [1, 'a', true, true, true],
        [2, 'b2', true, true, true],
        [3, 'c', false, true, true],
      ]);
      const changed = await f.ferryRows('soft');
      expect(changed.filter((r) => BigInt(r.lsn ?? 0) <= BigInt(snapshot) || (r.synced ?? 0) < after)).toEqual([]);

      // A resync snapshots the table again: its rows start over at the new snapshot's position.
      await resyncCdc({ project, state: f.state, sync: 'c', logger: quiet, actor: 'test' }, ['public.soft']);
      await f.source.query("UPDATE soft SET v = 'c2' WHERE id = 3");
      const beforeResync = Date.now();
      expect((await f.run(project, snapshotRegistry(lsns))).error).toBeNull();
      expect(lsns).toHaveLength(2);
      expect(lsns[1]).toBeGreaterThan(lsns[0] ?? 0n);
      expect(await f.ferryColumnTypes('soft')).toEqual(CDC_COLUMN_TYPES.postgres);
      expect(await f.rows('soft', 'id, v')).toEqual([{ id: 3, v: 'c2' }]);
      const resynced = await f.ferryRows('soft');
      expect(resynced.map((r) => [r.id, r.lsn, r.deleted])).toEqual([['3', String(lsns[1]), null]]);
      expect(resynced[0]?.synced).toBeGreaterThanOrEqual(beforeResync);
    } finally {
      await dropSlot(f.source, `${f.slot}_soft`);
    }
  });

  it('adds its own columns to a target created beforehand under schema_change: freeze (a source column it still refuses)', async () => {
    await f.source.query('CREATE TABLE frozen (id int PRIMARY KEY, v text)');
    await f.source.query("INSERT INTO frozen VALUES (1, 'a')");
    await f.target?.query('CREATE TABLE frozen (id int PRIMARY KEY, v text)');
    const slot = `${f.slot}_frozen`;
    const project = f.project([{ name: 'public.frozen', schema_change: 'freeze' }], { deletes: 'soft', lsn_column: true, synced_at_column: true, slot });
    const lsns: bigint[] = [];
    try {
      expect((await f.run(project, snapshotRegistry(lsns))).error).toBeNull();
      expect(await f.ferryColumnTypes('frozen')).toEqual(CDC_COLUMN_TYPES.postgres);
      expect((await f.ferryRows('frozen')).map((r) => [r.id, r.lsn, r.deleted, r.synced === null])).toEqual([['1', String(lsns[0]), null, false]]);
      await f.source.query('ALTER TABLE frozen ADD COLUMN w int');
      await f.source.query("UPDATE frozen SET w = 1 WHERE id = 1");
      const refused = await f.run(project);
      expect(refused.status).toBe('failed');
      expect(refused.error).toMatch(/"w".*schema_change is freeze/);
    } finally {
      await dropSlot(f.source, slot);
    }
  });

  it('re-inserts a soft-deleted key (the direct COPY of inserts falls back to an upsert), and applies to a target without a unique key', async () => {
    await f.source.query('CREATE TABLE again (id int PRIMARY KEY, v text)');
    await f.source.query("INSERT INTO again VALUES (1, 'a'), (2, 'b')");
    const slot = `${f.slot}_again`;
    const project = f.project([{ name: 'public.again' }], { deletes: 'soft', lsn_column: true, synced_at_column: true, slot });
    const state = "id, v, _ferry_deleted_at IS NOT NULL AS deleted, _ferry_lsn IS NOT NULL AS lsn, _ferry_synced_at IS NOT NULL AS synced";
    try {
      expect((await f.run(project)).error).toBeNull();
      await f.source.query('DELETE FROM again WHERE id = 1');
      expect((await f.run(project)).error).toBeNull();
      // One transaction of inserts only, one of whose keys the target still holds (soft-deleted).
      await f.source.query("BEGIN; INSERT INTO again VALUES (1, 'a2'), (5, 'e'); COMMIT");
      expect((await f.run(project)).error).toBeNull();
      // Inserts of new keys only: copied straight in, metadata columns filled like an upsert's.
      await f.source.query("INSERT INTO again VALUES (6, 'f'), (7, 'g')");
      expect((await f.run(project)).error).toBeNull();
      expect(await f.rows('again', state)).toEqual([
        { id: 1, v: 'a2', deleted: false, lsn: true, synced: true },
        // Loaded by the snapshot and not changed since: the snapshot's metadata.
        { id: 2, v: 'b', deleted: false, lsn: true, synced: true },
        { id: 5, v: 'e', deleted: false, lsn: true, synced: true },
        { id: 6, v: 'f', deleted: false, lsn: true, synced: true },
        { id: 7, v: 'g', deleted: false, lsn: true, synced: true },
      ]);
      const synced = await f.target?.query<{ same: boolean }>('SELECT count(DISTINCT _ferry_synced_at) = 1 AS same FROM again WHERE id IN (6, 7)');
      expect(synced?.rows[0]?.same).toBe(true);

      // Without a unique index on the key there is no ON CONFLICT arbiter (and no direct COPY).
      const keys = await f.target?.query<{ name: string }>("SELECT conname AS name FROM pg_constraint WHERE conrelid = 'again'::regclass AND contype IN ('p', 'u')");
      for (const key of keys?.rows ?? []) await f.target?.query(`ALTER TABLE again DROP CONSTRAINT "${key.name}"`);
      expect(await f.target?.query("SELECT 1 FROM pg_index WHERE indrelid = 'again'::regclass").then((r) => r.rows.length)).toBe(0);
      await f.source.query("BEGIN; UPDATE again SET v = 'b2' WHERE id = 2; INSERT INTO again VALUES (8, 'h'); DELETE FROM again WHERE id = 7; COMMIT");
      await f.source.query("INSERT INTO again VALUES (9, 'i')");
      expect((await f.run(project)).error).toBeNull();
      expect(await f.rows('again', state)).toEqual([
        { id: 1, v: 'a2', deleted: false, lsn: true, synced: true },
        { id: 2, v: 'b2', deleted: false, lsn: true, synced: true },
        { id: 5, v: 'e', deleted: false, lsn: true, synced: true },
        { id: 6, v: 'f', deleted: false, lsn: true, synced: true },
        { id: 7, v: 'g', deleted: true, lsn: true, synced: true },
        { id: 8, v: 'h', deleted: false, lsn: true, synced: true },
        { id: 9, v: 'i', deleted: false, lsn: true, synced: true },
      ]);
    } finally {
      await dropSlot(f.source, slot);
    }
  });

  it('fails loudly when the slot is gone, and resumes after a resync', async () => {
    await f.source.query('CREATE TABLE lost (id int PRIMARY KEY)');
    const slot = `${f.slot}_lost`;
    const project = f.project([{ name: 'public.lost' }], { slot });
    expect((await f.run(project)).error).toBeNull();
    await dropSlot(f.source, slot);
    await f.source.query('INSERT INTO lost VALUES (1)');
    const failed = await f.run(project);
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain(`replication slot ${slot} is missing`);
    expect(failed.error).toContain('ferry cdc resync');
    expect(await slotConfirmed(f.source, slot)).toBeNull();
    await f.state.saveCheckpoint({ sync: 'c', stream: 'public.lost', runId: 'manual', seq: Date.now() + 1000, state: {} });
    expect((await f.run(project)).error).toBeNull();
    expect(await f.rows('lost')).toEqual([{ id: 1 }]);
    await dropSlot(f.source, slot);
  });
});

describe('postgres cdc: every kind of value', () => {
  it('streams values of every type exactly as the snapshot loads them', async () => {
    await f.source.query(`CREATE TABLE kinds (id int PRIMARY KEY, b boolean, i2 smallint, i8 bigint, r real, d double precision, n numeric, n2 numeric(20,5),
      t text, vc varchar(10), by bytea, j json, jb jsonb, u uuid, da date, ti time, tz timetz, ts timestamp, tstz timestamptz, iv interval, arr int[], tarr text[])`);
    const values = `true, -32768, 9223372036854775807, 1.5, 0.1, 'NaN', 123456789012345.12345, E'tab\\there "quoted" \\\\ back', 'short', '\\x00ff10', '{"a": [1, 2.50]}', '{"big": 12345678901234567890}',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2024-02-29', '23:59:59.999999', '12:00:00+05:30', '2024-01-01 00:00:00.000001', '1999-12-31 23:59:59.5+02', '1 year 2 mons 3 days 04:05:06.789', '{1,NULL,3}', '{"a b","c,d",NULL}'`;
    await f.source.query(`INSERT INTO kinds VALUES (1, ${values})`);
    const project = f.project([{ name: 'public.kinds' }]);
    expect((await f.run(project)).error).toBeNull();
    await f.source.query(`INSERT INTO kinds VALUES (2, ${values})`);
    await f.source.query(`INSERT INTO kinds (id) VALUES (3)`);
    expect((await f.run(project)).error).toBeNull();
    const text = 'id, b, i2, i8::text, r::text, d::text, n::text, n2::text, t, vc, encode(by, \'hex\') AS by, j::text, jb::text, u::text, da::text, ti::text, tz::text, ts::text, tstz::text, iv::text, arr::text, tarr::text';
    const target = await f.rows('kinds', text);
    const source = (await f.source.query(`SELECT ${text} FROM kinds ORDER BY 1`)).rows;
    expect(target).toEqual(source);
    expect(target[1]).toEqual({ ...target[0], id: 2 });
  });
});
