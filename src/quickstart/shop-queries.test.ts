import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateShopDatabase } from './generate-shop.js';
import { mutateShopDatabase, type ShopChanges } from './mutate-shop.js';
import { ordersByStatusQuery, revenueByMonthQuery, shopQueries, tableFreshnessQuery, topProductsQuery } from './shop-queries.js';
import { SHOP_TABLES, decimalToCents } from './shop-schema.js';
import { snapshotShop, type ShopSnapshot } from './shop-snapshot.js';

/** A schema name that needs quoting, as a user might pick. */
const SCHEMA = 'quick "start"';
let dir: string;
let shop: ShopSnapshot;
let changes: ShopChanges;
let duck: DuckDBInstance;
let connection: DuckDBConnection;

/** The warehouse type of a declared SQLite type, as a sync into DuckDB would create it. */
function warehouseType(declared: string): { type: string; cast: (column: string) => string } {
  if (declared === 'INTEGER') return { type: 'BIGINT', cast: (c) => `${c}::BIGINT` };
  if (declared === 'BOOLEAN') return { type: 'BOOLEAN', cast: (c) => `${c}::INTEGER::BOOLEAN` };
  if (declared === 'REAL') return { type: 'DOUBLE', cast: (c) => `${c}::DOUBLE` };
  if (declared === 'TIMESTAMP') return { type: 'TIMESTAMP', cast: (c) => `${c}::TIMESTAMP` };
  if (declared.startsWith('DECIMAL')) return { type: declared, cast: (c) => `${c}::${declared}` };
  return { type: 'VARCHAR', cast: (c) => c };
}

/** Copy one table from SQLite into the DuckDB schema through a VARCHAR staging table and typed casts. */
async function loadTable(path: string, table: (typeof SHOP_TABLES)[number]): Promise<void> {
  const db = new Database(path, { readonly: true });
  const columns = db.pragma(`table_info(${table})`) as { name: string; type: string }[];
  db.close();
  const schema = `"${SCHEMA.replace(/"/g, '""')}"`;
  await connection.run(`CREATE TABLE ${schema}."stage_${table}" (${columns.map((c) => `"${c.name}" VARCHAR`).join(', ')})`);
  const appender = await connection.createAppender(`stage_${table}`, SCHEMA);
  for (const row of shop[table].values()) {
    for (const column of columns) {
      const value = row[column.name];
      if (value === null) appender.appendNull();
      else appender.appendVarchar(String(value));
    }
    appender.endRow();
  }
  appender.closeSync();
  const select = columns.map((c) => `${warehouseType(c.type).cast(`"${c.name}"`)} AS "${c.name}"`).join(', ');
  await connection.run(`CREATE TABLE ${schema}.${table} AS SELECT ${select} FROM ${schema}."stage_${table}"`);
}

async function rowsOf(sql: string): Promise<unknown[][]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowsJS().map((row) => row.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
}

function money(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-shop-queries-'));
  const path = join(dir, 'shop.db');
  generateShopDatabase(path, { scale: 0.01, seed: 5 });
  changes = mutateShopDatabase(path);
  shop = snapshotShop(path);
  duck = await DuckDBInstance.create(':memory:');
  connection = await duck.connect();
  await connection.run(`CREATE SCHEMA "${SCHEMA.replace(/"/g, '""')}"`);
  for (const table of SHOP_TABLES) await loadTable(path, table);
});

afterAll(async () => {
  connection?.closeSync();
  duck?.closeSync();
  await rm(dir, { recursive: true, force: true });
});

describe('shop queries on a DuckDB warehouse', () => {
  it('counts rows per table and shows the day of activity as the newest change', async () => {
    const rows = await rowsOf(tableFreshnessQuery(SCHEMA).sql);
    expect(rows).toEqual(SHOP_TABLES.map((table) => [table, shop[table].size, changes.at]));
  });

  it('spreads orders over their statuses with shares adding up to 100', async () => {
    const rows = await rowsOf(ordersByStatusQuery(SCHEMA).sql);
    const expected = new Map<string, number>();
    for (const order of shop.orders.values()) expected.set(String(order.status), (expected.get(String(order.status)) ?? 0) + 1);
    expect(new Map(rows.map(([status, count]) => [String(status), Number(count)]))).toEqual(expected);
    expect(rows.reduce((sum, row) => sum + Number(row[2]), 0)).toBeCloseTo(100, 0);
  });

  it('sums delivered revenue per month, country and currency to the cent', async () => {
    const groups = new Map<string, { key: [string, string, string]; orders: number; cents: number }>();
    for (const order of shop.orders.values()) {
      if (order.status !== 'delivered') continue;
      const key: [string, string, string] = [String(order.ordered_at).slice(0, 7), String(shop.customers.get(order.customer_id as bigint)?.country), String(order.currency)];
      const group = groups.get(key.join('|')) ?? { key, orders: 0, cents: 0 };
      group.orders += 1;
      group.cents += decimalToCents(order.total);
      groups.set(key.join('|'), group);
    }
    const expected = [...groups.values()]
      .sort((a, b) => b.key[0].localeCompare(a.key[0]) || b.cents - a.cents || a.key[1].localeCompare(b.key[1]) || a.key[2].localeCompare(b.key[2]))
      .slice(0, 10)
      .map((g) => [...g.key, g.orders, money(g.cents)]);
    expect(await rowsOf(revenueByMonthQuery(SCHEMA).sql)).toEqual(expected);
  });

  it('ranks the top five products by units with their line revenue', async () => {
    const sold = new Map<bigint, { units: number; cents: number }>();
    for (const item of shop.order_items.values()) {
      const status = String(shop.orders.get(item.order_id as bigint)?.status);
      if (!['shipped', 'delivered', 'refunded'].includes(status)) continue;
      const discount = item.discount === null ? 0 : Math.round(Number(item.discount) * 10_000);
      const cents = Math.floor((decimalToCents(item.unit_price) * Number(item.quantity) * (10_000 - discount) + 5_000) / 10_000);
      const entry = sold.get(item.product_id as bigint) ?? { units: 0, cents: 0 };
      entry.units += Number(item.quantity);
      entry.cents += cents;
      sold.set(item.product_id as bigint, entry);
    }
    const expected = [...sold.entries()]
      .map(([id, s]) => ({ product: shop.products.get(id), ...s }))
      .sort((a, b) => b.units - a.units || String(a.product?.sku).localeCompare(String(b.product?.sku)))
      .slice(0, 5)
      .map((p) => [p.product?.sku, p.product?.name, p.product?.category, p.units, money(p.cents)]);
    expect(await rowsOf(topProductsQuery(SCHEMA).sql)).toEqual(expected);
  });

  it('lists every query with a title, each of which runs', async () => {
    const queries = shopQueries(SCHEMA);
    expect(queries.map((q) => q.title)).toEqual([
      'Rows per table and the newest change',
      'Orders by status',
      'Revenue of delivered orders by month and country (latest first)',
      'Top 5 products by units sold',
    ]);
    for (const query of queries) expect((await rowsOf(query.sql)).length).toBeGreaterThan(0);
  });
});
