import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cdcFixture, slotConfirmed, type CdcFixture } from './cdc-fixture.js';

let f: CdcFixture;

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
    const rows = await f.rows('items', "id::text, name, amount::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS at");
    expect(rows).toHaveLength(499);
    expect(rows.find((r) => r['id'] === '2')).toEqual({ id: '2', name: 'changed', amount: '99.999', at: '2025-01-01 00:00:02.123456' });
    expect(rows.find((r) => r['id'] === '501')).toEqual({ id: '501', name: 'new', amount: '1.250', at: '2025-06-01 12:00:00.000001' });
    expect(rows.some((r) => r['id'] === '3' || r['id'] === '4' || r['id'] === '5')).toBe(false);
    expect(rows.some((r) => r['id'] === '10000')).toBe(true);
  });
});
