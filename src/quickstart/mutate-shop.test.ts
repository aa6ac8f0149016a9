import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { generateShopDatabase } from './generate-shop.js';
import { mutateShopDatabase, type ShopChanges } from './mutate-shop.js';
import { SHOP_TABLES, UNSHIPPED_STATUSES, decimalToCents, type ShopTable } from './shop-schema.js';
import { shopContentHash, snapshotShop, type ShopSnapshot } from './shop-snapshot.js';

let dir: string;
let pristine: string;
let path: string;
let before: ShopSnapshot;
let after: ShopSnapshot;
let changes: ShopChanges;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-shop-day-'));
  pristine = join(dir, 'pristine.db');
  path = join(dir, 'shop.db');
  generateShopDatabase(pristine, { scale: 0.02, seed: 11 });
  await copyFile(pristine, path);
  before = snapshotShop(path);
  changes = mutateShopDatabase(path);
  after = snapshotShop(path);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Ids whose stored row differs, appeared or vanished between two snapshots. */
function diff(table: ShopTable): { updated: bigint[]; inserted: bigint[]; deleted: bigint[] } {
  const updated: bigint[] = [];
  const inserted: bigint[] = [];
  const deleted: bigint[] = [];
  for (const [id, row] of after[table]) {
    const old = before[table].get(id);
    if (old === undefined) inserted.push(id);
    else if (JSON.stringify(old, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) !== JSON.stringify(row, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))) updated.push(id);
  }
  for (const id of before[table].keys()) if (!after[table].has(id)) deleted.push(id);
  return { updated, inserted, deleted };
}

describe('mutateShopDatabase', () => {
  it('reports exactly the ids that changed in the database, per table', () => {
    for (const table of SHOP_TABLES) {
      expect({ table, ...diff(table) }).toEqual({ table, updated: [...changes[table].updated], inserted: [...changes[table].inserted], deleted: [...changes[table].deleted] });
    }
    expect(changes.at).toBe('2026-02-05 09:41:27.318204');
    expect(changes.orders.updated.length).toBe(49); // 1% of 4,900 orders
    expect(changes.customers.inserted.length).toBe(2);
    expect(changes.orders.inserted.length).toBe(20);
    expect(changes.order_items.inserted.length).toBeGreaterThanOrEqual(20);
    expect(changes.customers.updated.length).toBeGreaterThan(0);
    expect(changes.products.updated.length).toBeGreaterThan(0);
  });

  it('stamps every inserted and updated row with the activity time, and nothing else', () => {
    for (const table of SHOP_TABLES) {
      const touched = new Set([...changes[table].updated, ...changes[table].inserted]);
      for (const [id, row] of after[table]) {
        if (touched.has(id)) expect(row.updated_at, `${table} ${id}`).toBe(changes.at);
        else expect(String(row.updated_at) < changes.at, `${table} ${id}`).toBe(true);
      }
    }
  });

  it('deletes one order together with all of its items', () => {
    expect(changes.orders.deleted).toHaveLength(1);
    const [orderId] = changes.orders.deleted;
    expect(before.orders.get(orderId as bigint)?.status).toBe('cancelled');
    expect(after.orders.has(orderId as bigint)).toBe(false);
    const itemsBefore = [...before.order_items.values()].filter((i) => i.order_id === orderId).map((i) => i.id);
    expect(itemsBefore.length).toBeGreaterThan(0);
    expect([...changes.order_items.deleted]).toEqual(itemsBefore);
    expect([...after.order_items.values()].some((i) => i.order_id === orderId)).toBe(false);
  });

  it('moves orders one step on and keeps totals, lifetime values and shipping consistent', () => {
    const next: Record<string, readonly string[]> = { pending: ['paid', 'cancelled'], paid: ['shipped'], shipped: ['delivered'], delivered: ['refunded'] };
    const lifetimeDelta = new Map<bigint, number>();
    for (const id of changes.orders.updated) {
      const old = before.orders.get(id);
      const now = after.orders.get(id);
      expect(next[String(old?.status)]).toContain(now?.status);
      expect(now?.shipped_at === null).toBe(UNSHIPPED_STATUSES.includes(now?.status as never));
      expect(now?.total).toEqual(old?.total);
      const sign = now?.status === 'delivered' ? 1 : now?.status === 'refunded' ? -1 : 0;
      const customer = now?.customer_id as bigint;
      lifetimeDelta.set(customer, (lifetimeDelta.get(customer) ?? 0) + sign * decimalToCents(now?.total));
    }
    for (const [customer, delta] of lifetimeDelta) {
      expect(decimalToCents(after.customers.get(customer)?.lifetime_value) - decimalToCents(before.customers.get(customer)?.lifetime_value)).toBe(delta);
    }
    for (const id of changes.orders.inserted) {
      const order = after.orders.get(id);
      expect(['pending', 'paid']).toContain(order?.status);
      expect(order?.shipped_at).toBeNull();
      expect(after.customers.has(order?.customer_id as bigint)).toBe(true);
      expect(String(order?.ordered_at) <= changes.at).toBe(true);
      const items = [...after.order_items.values()].filter((i) => i.order_id === id);
      expect(items.length).toBeGreaterThan(0);
      const cents = items.reduce((sum, i) => {
        const discount = i.discount === null ? 0 : Math.round(Number(i.discount) * 10_000);
        return sum + Math.floor((decimalToCents(i.unit_price) * Number(i.quantity) * (10_000 - discount) + 5_000) / 10_000);
      }, 0);
      expect(decimalToCents(order?.total)).toBe(cents);
      for (const item of items) expect(after.products.get(item.product_id as bigint)?.active).toBe(1n);
    }
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('is deterministic for the same database and seed', async () => {
    const copy = join(dir, 'copy.db');
    await copyFile(pristine, copy);
    const again = mutateShopDatabase(copy);
    expect(again).toEqual(changes);
    expect(shopContentHash(copy)).toBe(shopContentHash(path));
  });

  it('takes a later day when asked and refuses a time that is not after the newest change', async () => {
    const copy = join(dir, 'later.db');
    await copyFile(path, copy);
    expect(() => mutateShopDatabase(copy, { at: '2026-02-05 09:41:27.318204' })).toThrow(ConfigError);
    expect(() => mutateShopDatabase(copy, { at: 'yesterday' })).toThrow(/not a timestamp/);
    const hash = shopContentHash(copy);
    expect(shopContentHash(copy)).toBe(hash);
    const second = mutateShopDatabase(copy, { at: '2026-02-07T08:00:00.000001Z', seed: 3 });
    expect(second.at).toBe('2026-02-07 08:00:00.000001');
    const latest = snapshotShop(copy);
    for (const id of second.orders.inserted) expect(latest.orders.get(id)?.updated_at).toBe(second.at);
    expect(Math.min(...second.orders.inserted.map(Number))).toBeGreaterThan(Math.max(...changes.orders.inserted.map(Number)));
    // Without `at`, a shop already past the default day moves on by one day.
    expect(mutateShopDatabase(copy).at).toBe('2026-02-08 08:00:00.000001');
  });

  it('names the file when it does not exist', () => {
    expect(() => mutateShopDatabase(join(dir, 'missing.db'))).toThrow(/no shop database at .*missing\.db/);
  });
});
