import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { canonicalTimestamp, microsToTimestamp, timestampMicros } from '../core/values.js';
import { generateShopDatabase, type ShopSummary } from './generate-shop.js';
import { SHOP_BASE_MICROS, parseShopTimestamp } from './shop-clock.js';
import { SHOP_TABLES, UNSHIPPED_STATUSES, decimalToCents } from './shop-schema.js';
import { shopContentHash, snapshotShop, type ShopSnapshot } from './shop-snapshot.js';

const SCALE = 0.02;
let dir: string;
let path: string;
let summary: ShopSummary;
let shop: ShopSnapshot;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-shop-'));
  path = join(dir, 'shop.db');
  summary = generateShopDatabase(path, { scale: SCALE, seed: 7 });
  shop = snapshotShop(path);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;

function rows(table: keyof ShopSnapshot): Record<string, unknown>[] {
  return [...shop[table].values()];
}

function text(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`expected text, got ${String(value)}`);
  return value;
}

function sqlCount(sql: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return Number(db.prepare(sql).pluck().get());
  } finally {
    db.close();
  }
}

describe('generateShopDatabase', () => {
  it('returns the row counts that are in the file, scaled from about a million rows', () => {
    expect(summary.path).toBe(path);
    expect(summary.seconds).toBeGreaterThan(0);
    expect(summary.tables.map((t) => t.name)).toEqual([...SHOP_TABLES]);
    const counts = Object.fromEntries(summary.tables.map((t) => [t.name, t.rows]));
    expect(counts).toMatchObject({ customers: 1000, products: 100, orders: 4900 });
    expect(counts.order_items).toBeGreaterThan(4900 * 2.6);
    expect(counts.order_items).toBeLessThan(4900 * 3.1);
    for (const { name, rows: count } of summary.tables) {
      expect(shop[name].size, name).toBe(count);
      expect(sqlCount(`SELECT count(*) FROM ${name}`), name).toBe(count);
    }
  });

  it('is deterministic: the same seed gives identical contents, another seed different ones', () => {
    const again = join(dir, 'again.db');
    const other = join(dir, 'other.db');
    generateShopDatabase(again, { scale: SCALE, seed: 7 });
    generateShopDatabase(other, { scale: SCALE, seed: 8 });
    expect(shopContentHash(again)).toBe(shopContentHash(path));
    expect(shopContentHash(other)).not.toBe(shopContentHash(path));
    // Overwriting an existing file starts from scratch.
    generateShopDatabase(other, { scale: SCALE, seed: 7 });
    expect(shopContentHash(other)).toBe(shopContentHash(path));
  });

  it('leaves the file in WAL mode with every foreign key resolving', () => {
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      db.close();
    }
    for (const order of rows('orders')) expect(shop.customers.has(order.customer_id as bigint)).toBe(true);
    for (const item of rows('order_items')) {
      expect(shop.orders.has(item.order_id as bigint)).toBe(true);
      expect(shop.products.has(item.product_id as bigint)).toBe(true);
    }
  });

  it('makes every order total exactly the sum of its lines in cents', () => {
    const lineCents = new Map<bigint, number>();
    for (const item of rows('order_items')) {
      const unit = decimalToCents(item.unit_price);
      const discount = item.discount === null ? 0 : Math.round(Number(item.discount) * 10_000);
      const cents = Math.floor((unit * Number(item.quantity) * (10_000 - discount) + 5_000) / 10_000);
      lineCents.set(item.order_id as bigint, (lineCents.get(item.order_id as bigint) ?? 0) + cents);
    }
    for (const order of rows('orders')) expect(decimalToCents(order.total), `order ${order.id}`).toBe(lineCents.get(order.id as bigint));
    // The same check in SQL with integer arithmetic only.
    const mismatched = sqlCount(`SELECT count(*) FROM orders o WHERE CAST(round(o.total * 100) AS INTEGER) <> (
      SELECT sum((CAST(round(i.unit_price * 100) AS INTEGER) * i.quantity * (10000 - CAST(round(coalesce(i.discount, 0) * 10000) AS INTEGER)) + 5000) / 10000)
      FROM order_items i WHERE i.order_id = o.id)`);
    expect(mismatched).toBe(0);
  });

  it('stores decimals that print back with at most their declared scale', () => {
    for (const order of rows('orders')) expect(String(order.total)).toMatch(/^\d+(\.\d{1,2})?$/);
    for (const customer of rows('customers')) expect(String(customer.lifetime_value)).toMatch(/^\d+(\.\d{1,2})?$/);
    for (const product of rows('products')) expect(String(product.price)).toMatch(/^\d+\.(99|49)$|^\d+$/);
    const discounts = rows('order_items').map((item) => item.discount);
    for (const discount of discounts) if (discount !== null) expect(String(discount)).toMatch(/^0\.\d{1,4}$/);
    expect(discounts.filter((d) => d === null).length).toBeGreaterThan(discounts.length / 2);
  });

  it('sets shipped_at exactly for orders that left the warehouse, with every status present', () => {
    const statuses = new Set<string>();
    for (const order of rows('orders')) {
      const status = text(order.status);
      statuses.add(status);
      expect(order.shipped_at === null, `order ${order.id} ${status}`).toBe(UNSHIPPED_STATUSES.includes(status as never));
    }
    expect([...statuses].sort()).toEqual(['cancelled', 'delivered', 'paid', 'pending', 'refunded', 'shipped']);
  });

  it('writes timestamps as fixed-width UTC text with microseconds, in a consistent order', () => {
    let withMicros = 0;
    let wholeSeconds = 0;
    const columns = { customers: ['signup_at', 'updated_at'], products: ['updated_at'], orders: ['ordered_at', 'shipped_at', 'updated_at'], order_items: ['updated_at'] } as const;
    for (const table of SHOP_TABLES) {
      for (const row of rows(table)) {
        for (const column of columns[table]) {
          const value = row[column];
          if (value === null) continue;
          expect(value).toMatch(TIMESTAMP);
          const micros = parseShopTimestamp(text(value));
          expect(microsToTimestamp(BigInt(micros), false)).toBe(canonicalTimestamp(text(value)));
          expect(micros).toBeLessThanOrEqual(SHOP_BASE_MICROS);
          if (micros % 1000 !== 0) withMicros++;
          if (micros % 1_000_000 === 0) wholeSeconds++;
        }
      }
    }
    expect(withMicros).toBeGreaterThan(10_000);
    expect(wholeSeconds).toBeGreaterThan(0);
    const after = (later: unknown, earlier: unknown): boolean => timestampMicros(canonicalTimestamp(text(later))) >= timestampMicros(canonicalTimestamp(text(earlier)));
    for (const c of rows('customers')) expect(after(c.updated_at, c.signup_at)).toBe(true);
    for (const o of rows('orders')) {
      expect(after(o.updated_at, o.ordered_at)).toBe(true);
      if (o.shipped_at !== null) expect(after(o.shipped_at, o.ordered_at) && after(o.updated_at, o.shipped_at)).toBe(true);
      const customer = shop.customers.get(o.customer_id as bigint);
      expect(after(o.ordered_at, customer?.signup_at)).toBe(true);
    }
    for (const i of rows('order_items')) expect(i.updated_at).toBe(shop.orders.get(i.order_id as bigint)?.ordered_at);
  });

  it('has NULLs, unicode names, awkward notes and JSON attributes', () => {
    const customers = rows('customers');
    const names = customers.map((c) => c.full_name).filter((n): n is string => typeof n === 'string');
    expect(customers.some((c) => c.full_name === null)).toBe(true);
    expect(customers.some((c) => c.city === null)).toBe(true);
    expect(names.some((n) => /[éèöüñçå]/.test(n))).toBe(true);
    expect(names.some((n) => n.includes("'"))).toBe(true);
    expect(names.some((n) => /\p{Script=Han}/u.test(n))).toBe(true);
    expect(names.some((n) => /\p{Extended_Pictographic}/u.test(n))).toBe(true);
    expect(new Set(customers.map((c) => c.email)).size).toBe(customers.length);
    expect(new Set(customers.map((c) => c.marketing_opt_in))).toEqual(new Set([0n, 1n]));

    const notes = rows('orders').map((o) => o.note);
    expect(notes.filter((n) => n === null).length).toBeGreaterThan(notes.length * 0.9);
    const written = notes.filter((n): n is string => typeof n === 'string');
    for (const needle of ['"', ',', '\n', '\r\n', '\t', '\\']) expect(written.some((n) => n.includes(needle)), JSON.stringify(needle)).toBe(true);
    expect(written).toContain('');

    const products = rows('products');
    expect(products.some((p) => p.weight_kg === null)).toBe(true);
    expect(products.some((p) => typeof p.weight_kg === 'number')).toBe(true);
    for (const p of products) expect(JSON.parse(text(p.attributes))).toBeTypeOf('object');
    expect(new Set(products.map((p) => p.sku)).size).toBe(products.length);
  });

  it('rejects a scale that is not a positive number', () => {
    expect(() => generateShopDatabase(join(dir, 'bad.db'), { scale: 0 })).toThrow(ConfigError);
    expect(() => generateShopDatabase(join(dir, 'bad.db'), { scale: Number.NaN })).toThrow(/scale must be a positive number/);
  });
});
