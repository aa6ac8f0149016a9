import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cdcFixture, type CdcFixture } from './cdc-fixture.js';

// Creating a replication slot waits for every transaction running on the server to end:
// on a shared server that can take minutes.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

/**
 * Debezium's tutorial database (`inventory`): REPLICA IDENTITY FULL tables,
 * foreign keys, serial keys. The PostGIS part (extension and `geom` table) is
 * left out: PostGIS is not installed on the test server.
 */
const FIXTURE = resolve('../shared/fixtures/debezium-inventory/postgres-inventory.sql');
const TABLES = ['customers', 'orders', 'products', 'products_on_hand'];

let f: CdcFixture;

beforeAll(async () => {
  f = await cdcFixture('inventory');
  const sql = await readFile(FIXTURE, 'utf8');
  const withoutPostgis = sql.replace('CREATE EXTENSION postgis;', '').replace(/-- Create table with Spatial\/Geometry type[\s\S]*$/, '');
  await f.source.query(withoutPostgis);
});
afterAll(async () => {
  await f.close();
});

async function sameTables(): Promise<void> {
  for (const table of TABLES) {
    const source = (await f.source.query(`SELECT * FROM inventory.${table} ORDER BY 1`)).rows;
    expect(await f.rows(`public.${table}`), table).toEqual(source);
  }
}

describe('Debezium inventory database', () => {
  it('snapshots every table, then streams the tutorial changes', async () => {
    const project = f.project([{ name: 'inventory.*' }]);
    const first = await f.run(project);
    expect(first.error).toBeNull();
    expect(first.streams.map((s) => s.stream).sort()).toEqual(TABLES.map((t) => `inventory.${t}`));
    await sameTables();

    await f.source.query("UPDATE inventory.customers SET first_name = 'Anne Marie' WHERE id = 1004");
    await f.source.query("INSERT INTO inventory.customers VALUES (default, 'Sarah', 'Thompson', 'kitt@acme.com')");
    await f.source.query("INSERT INTO inventory.orders VALUES (default, '2024-02-29', 1005, 3, 109)");
    await f.source.query('DELETE FROM inventory.orders WHERE purchaser = 1004');
    await f.source.query('DELETE FROM inventory.customers WHERE id = 1004');
    await f.source.query('UPDATE inventory.products SET weight = weight * 2 WHERE id IN (101, 105)');
    await f.source.query('BEGIN; UPDATE inventory.products_on_hand SET quantity = quantity - 1 WHERE product_id = 109; UPDATE inventory.products_on_hand SET quantity = 0 WHERE product_id = 102; COMMIT');
    const second = await f.run(project);
    expect(second.error).toBeNull();
    await sameTables();
    expect(await f.rows('public.customers', 'id, first_name')).toContainEqual({ id: 1005, first_name: 'Sarah' });
  });
});
