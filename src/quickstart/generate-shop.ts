import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ConfigError, FerryError } from '../core/errors.js';
import { MICROS_PER_DAY, MICROS_PER_SECOND, SHOP_BASE_MICROS, SHOP_OPENED_MICROS, shopTimestamp } from './shop-clock.js';
import { createNote, createProduct } from './shop-catalog.js';
import { createOrderLines, historicTimeline, lineTotalCents, momentBetween, popularIndex, rankByPopularity, type Catalog } from './shop-orders.js';
import { createPerson, type Person } from './shop-people.js';
import { INSERT_SQL, SHOP_INDEX_SQL, SHOP_SCHEMA_SQL, centsToDecimal, type ShopTable } from './shop-schema.js';
import { SeededRandom } from './seeded-random.js';
import { BatchedInsert } from './batched-insert.js';

/** The seed used when none is given: the quickstart is the same for everyone. */
export const DEFAULT_SHOP_SEED = 20_250_101;

/** Rows per table at scale 1 (order_items is about 2.83 per order): about one million in all. */
const ROWS_AT_SCALE_1 = { customers: 50_000, products: 5_000, orders: 245_000 } as const;

export interface ShopOptions {
  /** Multiplies every row count; 1 = about 1,000,000 rows. */
  readonly scale?: number;
  readonly seed?: number;
}

export interface ShopSummary {
  readonly tables: readonly { readonly name: ShopTable; readonly rows: number }[];
  readonly path: string;
  readonly seconds: number;
}

interface Customer extends Person {
  readonly signupAt: number;
}

/**
 * Create (or overwrite) an SQLite file holding a realistic, deterministic
 * sample shop: customers, products, orders and order_items.
 *
 * @example
 * const summary = generateShopDatabase('data/shop.db', { scale: 0.1 });
 * // summary.tables -> [{ name: 'customers', rows: 5000 }, ...]
 */
export function generateShopDatabase(path: string, options: ShopOptions = {}): ShopSummary {
  const scale = options.scale ?? 1;
  const seed = options.seed ?? DEFAULT_SHOP_SEED;
  if (!Number.isFinite(scale) || scale <= 0) throw new ConfigError(`scale must be a positive number, got ${scale}`, { hint: 'use 1 for about 1M rows, 0.01 for about 10k' });
  if (!Number.isSafeInteger(seed)) throw new ConfigError(`seed must be an integer, got ${seed}`);
  const started = performance.now();
  const db = openFresh(path);
  try {
    const rows = fillShop(db, scale, new SeededRandom(seed));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const tables = (['customers', 'products', 'orders', 'order_items'] as const).map((name) => ({ name, rows: rows[name] }));
    return { tables, path, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    throw new FerryError(`could not generate the sample shop database ${path}`, { file: path, cause: error });
  } finally {
    db.close();
  }
}

function openFresh(path: string): Database.Database {
  try {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true });
    const db = new Database(path);
    // Nothing to protect while the file is being built: it is recreated on any failure.
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    // Customers are written after their orders (lifetime value); the tests check every key resolves.
    db.pragma('foreign_keys = OFF');
    db.pragma('cache_size = -65536');
    db.exec(SHOP_SCHEMA_SQL);
    return db;
  } catch (error) {
    throw new FerryError(`could not create the sample shop database ${path}`, {
      file: path,
      hint: 'check that the folder exists and is writable',
      cause: error,
    });
  }
}

function scaled(count: number, scale: number, minimum: number): number {
  return Math.max(minimum, Math.round(count * scale));
}

function fillShop(db: Database.Database, scale: number, random: SeededRandom): Record<ShopTable, number> {
  const customers = createCustomers(random.fork('customers'), scaled(ROWS_AT_SCALE_1.customers, scale, 10));
  const catalog = insertProducts(db, random.fork('products'), scaled(ROWS_AT_SCALE_1.products, scale, 10));
  const orderCount = scaled(ROWS_AT_SCALE_1.orders, scale, 20);
  const orders = insertOrders(db, random.fork('orders'), customers, catalog, orderCount);
  insertCustomers(db, random.fork('customer updates'), customers, orders);
  db.exec(SHOP_INDEX_SQL);
  return { customers: customers.length, products: catalog.ids.length, orders: orderCount, order_items: orders.items };
}

/** Customer ids follow sign-up time, as an auto-increment key would; the newest sign up 60 days before the base date. */
function createCustomers(random: SeededRandom, count: number): Customer[] {
  const span = SHOP_BASE_MICROS - 60 * MICROS_PER_DAY - SHOP_OPENED_MICROS;
  const customers: Customer[] = [];
  for (let i = 0; i < count; i++) {
    let signupAt = SHOP_OPENED_MICROS + Math.floor(((i + random.next()) * span) / count);
    // Accounts imported from the old shop system only kept whole seconds.
    if (random.chance(0.3)) signupAt -= signupAt % MICROS_PER_SECOND;
    customers.push({ ...createPerson(random, i + 1), signupAt });
  }
  return customers;
}

function insertProducts(db: Database.Database, random: SeededRandom, count: number): Catalog {
  const insert = new BatchedInsert(db, INSERT_SQL.products);
  const ids: number[] = [];
  const priceCents: number[] = [];
  db.transaction(() => {
    for (let id = 1; id <= count; id++) {
      const product = createProduct(random, id);
      const updatedAt = momentBetween(random, SHOP_OPENED_MICROS, SHOP_BASE_MICROS);
      const weight = product.weightGrams === null ? null : product.weightGrams / 1000;
      insert.add(id, product.sku, product.name, product.category, centsToDecimal(product.priceCents), weight, product.attributes, product.active ? 1 : 0, shopTimestamp(updatedAt));
      ids.push(id);
      priceCents.push(product.priceCents);
    }
    insert.flush();
  })();
  return rankByPopularity({ ids, priceCents });
}

/** What orders mean for their customers: delivered value and when it last changed. */
interface OrderEffects {
  readonly items: number;
  readonly lifetimeCents: Float64Array;
  readonly lastChange: Float64Array;
}

/** Orders and their items are written together, in one transaction, as the shop would. */
function insertOrders(db: Database.Database, random: SeededRandom, customers: readonly Customer[], catalog: Catalog, count: number): OrderEffects {
  const insertOrder = new BatchedInsert(db, INSERT_SQL.orders);
  const insertItem = new BatchedInsert(db, INSERT_SQL.order_items);
  const lifetimeCents = new Float64Array(customers.length);
  const lastChange = new Float64Array(customers.length);
  let itemId = 0;
  db.transaction(() => {
    for (let id = 1; id <= count; id++) {
      const index = popularIndex(random, customers.length, 1.3);
      const customer = customers[index];
      if (customer === undefined) throw new RangeError(`no customer at index ${index}`);
      const timeline = historicTimeline(random, customer.signupAt);
      const lines = createOrderLines(random, catalog);
      const totalCents = lines.reduce((sum, line) => sum + lineTotalCents(line), 0);
      const orderedAt = shopTimestamp(timeline.orderedAt);
      const shippedAt = timeline.shippedAt === null ? null : shopTimestamp(timeline.shippedAt);
      insertOrder.add(id, index + 1, timeline.status, orderedAt, shippedAt, centsToDecimal(totalCents), customer.currency, createNote(random), shopTimestamp(timeline.updatedAt));
      for (const line of lines) {
        const discount = line.discountBasisPoints === null ? null : line.discountBasisPoints / 10_000;
        insertItem.add(++itemId, id, line.productId, line.quantity, centsToDecimal(line.unitPriceCents), discount, orderedAt);
      }
      if (timeline.status === 'delivered') {
        lifetimeCents[index] = (lifetimeCents[index] ?? 0) + totalCents;
        lastChange[index] = Math.max(lastChange[index] ?? 0, timeline.updatedAt);
      }
    }
    insertOrder.flush();
    insertItem.flush();
  })();
  return { items: itemId, lifetimeCents, lastChange };
}

/** Customers are written last: their lifetime value is the sum of their delivered orders. */
function insertCustomers(db: Database.Database, random: SeededRandom, customers: readonly Customer[], orders: OrderEffects): void {
  const insert = new BatchedInsert(db, INSERT_SQL.customers);
  db.transaction(() => {
    customers.forEach((customer, index) => {
      const edited = customer.signupAt + Math.floor(random.next() ** 3 * (SHOP_BASE_MICROS - customer.signupAt));
      const updatedAt = Math.max(edited, orders.lastChange[index] ?? 0);
      const lifetime = centsToDecimal(orders.lifetimeCents[index] ?? 0);
      const optIn = random.chance(0.4) ? 1 : 0;
      insert.add(index + 1, customer.email, customer.fullName, customer.country, customer.city, shopTimestamp(customer.signupAt), optIn, lifetime, shopTimestamp(updatedAt));
    });
    insert.flush();
  })();
}
