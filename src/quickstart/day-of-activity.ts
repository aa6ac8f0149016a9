import type Database from 'better-sqlite3';
import { MICROS_PER_DAY, MICROS_PER_HOUR, parseShopTimestamp, shopTimestamp } from './shop-clock.js';
import { createNote } from './shop-catalog.js';
import { createOrderLines, lineTotalCents, momentBetween, popularIndex, rankByPopularity, type Catalog } from './shop-orders.js';
import { createPerson, currencyOf } from './shop-people.js';
import { centsToDecimal, decimalToCents, type OrderStatus, type ShopTable } from './shop-schema.js';
import type { SeededRandom } from './seeded-random.js';

/** Ids of the rows a table gained, changed and lost. */
export interface TableChanges {
  readonly updated: readonly bigint[];
  readonly inserted: readonly bigint[];
  readonly deleted: readonly bigint[];
}

interface ChangedIds {
  readonly updated: Set<number>;
  readonly inserted: Set<number>;
  readonly deleted: Set<number>;
}

interface OpenOrder {
  readonly id: number;
  readonly customerId: number;
  readonly status: OrderStatus;
  readonly orderedAt: string;
  readonly shippedAt: string | null;
  readonly totalCents: number;
}

/** The next step of an order's life, and what it means for its customer's lifetime value. */
const NEXT_STATUS: Readonly<Partial<Record<OrderStatus, OrderStatus>>> = { pending: 'paid', paid: 'shipped', shipped: 'delivered', delivered: 'refunded' };

function asNumber(value: unknown): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return value;
  throw new TypeError(`expected an integer, got ${typeof value}`);
}

function asText(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`expected text, got ${typeof value}`);
  return value;
}

/** `count` distinct values of `values`, chosen at random (partial Fisher-Yates on a copy). */
function sample<T>(random: SeededRandom, values: readonly T[], count: number): T[] {
  const pool = [...values];
  const take = Math.min(count, pool.length);
  for (let i = 0; i < take; i++) {
    const j = random.int(i, pool.length - 1);
    [pool[i], pool[j]] = [pool[j] as T, pool[i] as T];
  }
  return pool.slice(0, take);
}

/**
 * One simulated day in the shop, applied to an open database inside the
 * caller's transaction: orders move on, prices change, people sign up and
 * order, one cancelled order is purged. Every changed row gets `updated_at = at`.
 * Counts are fractions of the table sizes so any scale sees all kinds of change.
 */
export class DayOfActivity {
  readonly #db: Database.Database;
  readonly #random: SeededRandom;
  readonly #at: number;
  readonly #atText: string;
  /** Change in lifetime value per existing customer, in cents. */
  readonly #lifetimeDelta = new Map<number, number>();
  readonly #changes: Readonly<Record<ShopTable, ChangedIds>> = {
    customers: { updated: new Set(), inserted: new Set(), deleted: new Set() },
    products: { updated: new Set(), inserted: new Set(), deleted: new Set() },
    orders: { updated: new Set(), inserted: new Set(), deleted: new Set() },
    order_items: { updated: new Set(), inserted: new Set(), deleted: new Set() },
  };

  constructor(db: Database.Database, random: SeededRandom, at: number) {
    this.#db = db;
    this.#random = random;
    this.#at = at;
    this.#atText = shopTimestamp(at);
  }

  /** Apply the day and return the ids it touched per table, ascending. */
  run(): Record<ShopTable, TableChanges> {
    const orderCount = this.#count('orders');
    const customerCount = this.#count('customers');
    this.#progressOrders(Math.max(1, Math.round(orderCount * 0.01)));
    this.#repriceProducts(Math.max(1, Math.round(this.#count('products') * 0.005)));
    this.#purgeCancelledOrder();
    const newCustomers = this.#signUpCustomers(Math.max(1, Math.round(customerCount * 0.002)));
    this.#placeOrders(Math.max(1, Math.round(orderCount * 0.004)), newCustomers);
    this.#toggleMarketing(Math.max(1, Math.round(customerCount * 0.001)));
    this.#applyLifetimeValues();
    const result = {} as Record<ShopTable, TableChanges>;
    for (const [table, change] of Object.entries(this.#changes) as [ShopTable, ChangedIds][]) {
      const ids = (set: Set<number>): bigint[] => [...set].sort((a, b) => a - b).map(BigInt);
      result[table] = { updated: ids(change.updated), inserted: ids(change.inserted), deleted: ids(change.deleted) };
    }
    return result;
  }

  #count(table: ShopTable): number {
    return asNumber(this.#db.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
  }

  #maxId(table: ShopTable): number {
    return asNumber(this.#db.prepare(`SELECT coalesce(max(id), 0) FROM ${table}`).pluck().get());
  }

  #readOrders(where: string): OpenOrder[] {
    const rows = this.#db.prepare(`SELECT id, customer_id, status, ordered_at, shipped_at, total FROM orders WHERE ${where} ORDER BY id`).raw().all() as unknown[][];
    return rows.map(([id, customerId, status, orderedAt, shippedAt, total]) => ({
      id: asNumber(id),
      customerId: asNumber(customerId),
      status: asText(status) as OrderStatus,
      orderedAt: asText(orderedAt),
      shippedAt: shippedAt === null ? null : asText(shippedAt),
      totalCents: decimalToCents(total),
    }));
  }

  /** Open orders move one step on; a tenth of the changes are refunds of delivered orders. */
  #progressOrders(count: number): void {
    const refunds = sample(this.#random, this.#readOrders(`status = 'delivered'`), Math.ceil(count / 10));
    const open = sample(this.#random, this.#readOrders(`status IN ('pending', 'paid', 'shipped')`), count - refunds.length);
    const update = this.#db.prepare('UPDATE orders SET status = ?, shipped_at = ?, updated_at = ? WHERE id = ?');
    for (const order of [...open, ...refunds]) {
      let next = NEXT_STATUS[order.status] ?? order.status;
      if (order.status === 'pending' && this.#random.chance(0.15)) next = 'cancelled';
      const shippedAt = next === 'shipped' ? this.#shippedAt(order) : order.shippedAt;
      update.run(next, shippedAt, this.#atText, order.id);
      this.#changes.orders.updated.add(order.id);
      if (next === 'delivered') this.#addLifetime(order.customerId, order.totalCents);
      if (next === 'refunded') this.#addLifetime(order.customerId, -order.totalCents);
    }
  }

  /** Shipped some time in the last eight hours, never before the order was placed. */
  #shippedAt(order: OpenOrder): string {
    const orderedAt = parseShopTimestamp(order.orderedAt);
    return shopTimestamp(Math.max(orderedAt, momentBetween(this.#random, this.#at - 8 * MICROS_PER_HOUR, this.#at)));
  }

  #addLifetime(customerId: number, cents: number): void {
    this.#lifetimeDelta.set(customerId, (this.#lifetimeDelta.get(customerId) ?? 0) + cents);
  }

  /** Most changed products get a new price ending in .99; some are switched off or back on. */
  #repriceProducts(count: number): void {
    const rows = this.#db.prepare('SELECT id, price, active FROM products ORDER BY id').raw().all() as unknown[][];
    const update = this.#db.prepare('UPDATE products SET price = ?, active = ?, updated_at = ? WHERE id = ?');
    for (const [id, price, active] of sample(this.#random, rows, count)) {
      let cents = decimalToCents(price);
      let isActive = asNumber(active);
      if (this.#random.chance(0.8)) cents = Math.max(99, Math.floor((cents * (0.85 + this.#random.next() * 0.3)) / 100) * 100 + 99);
      else isActive = 1 - isActive;
      update.run(centsToDecimal(cents), isActive, this.#atText, id);
      this.#changes.products.updated.add(asNumber(id));
    }
  }

  /** A cancelled order (one not touched today) is removed with its items, as a clean-up job would. */
  #purgeCancelledOrder(): void {
    const untouched = (order: OpenOrder): boolean => !this.#changes.orders.updated.has(order.id);
    const cancelled = this.#readOrders(`status = 'cancelled'`).filter(untouched);
    const candidates = cancelled.length > 0 ? cancelled : this.#readOrders(`status <> 'delivered'`).filter(untouched);
    const [order] = sample(this.#random, candidates, 1);
    if (order === undefined) return;
    const items = this.#db.prepare('SELECT id FROM order_items WHERE order_id = ? ORDER BY id').pluck().all(order.id);
    this.#db.prepare('DELETE FROM order_items WHERE order_id = ?').run(order.id);
    this.#db.prepare('DELETE FROM orders WHERE id = ?').run(order.id);
    this.#changes.orders.deleted.add(order.id);
    for (const id of items) this.#changes.order_items.deleted.add(asNumber(id));
  }

  /** New customers signed up during the last day; returns their ids and sign-up times. */
  #signUpCustomers(count: number): Map<number, { signupAt: number; currency: string }> {
    const insert = this.#db.prepare('INSERT INTO customers (id, email, full_name, country, city, signup_at, marketing_opt_in, lifetime_value, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)');
    const signedUp = new Map<number, { signupAt: number; currency: string }>();
    const firstId = this.#maxId('customers') + 1;
    for (let id = firstId; id < firstId + count; id++) {
      const person = createPerson(this.#random, id);
      const signupAt = momentBetween(this.#random, this.#at - MICROS_PER_DAY, this.#at);
      insert.run(id, person.email, person.fullName, person.country, person.city, shopTimestamp(signupAt), this.#random.chance(0.5) ? 1 : 0, this.#atText);
      signedUp.set(id, { signupAt, currency: person.currency });
      this.#changes.customers.inserted.add(id);
    }
    return signedUp;
  }

  #activeCatalog(): Catalog {
    const rows = this.#db.prepare('SELECT id, price FROM products WHERE active = 1 ORDER BY id').raw().all() as unknown[][];
    return rankByPopularity({ ids: rows.map((row) => asNumber(row[0])), priceCents: rows.map((row) => decimalToCents(row[1])) });
  }

  /** Today's orders: a quarter from people who signed up today, the rest from existing customers. */
  #placeOrders(count: number, newCustomers: Map<number, { signupAt: number; currency: string }>): void {
    const catalog = this.#activeCatalog();
    if (catalog.ids.length === 0) return;
    const newIds = [...newCustomers.keys()];
    const existing = this.#db.prepare('SELECT id FROM customers ORDER BY id').pluck().all().map(asNumber).filter((id) => !newCustomers.has(id));
    const countryOf = this.#db.prepare('SELECT country FROM customers WHERE id = ?').pluck();
    const insertOrder = this.#db.prepare('INSERT INTO orders (id, customer_id, status, ordered_at, shipped_at, total, currency, note, updated_at) VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)');
    const insertItem = this.#db.prepare('INSERT INTO order_items (id, order_id, product_id, quantity, unit_price, discount, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    let itemId = this.#maxId('order_items');
    const firstId = this.#maxId('orders') + 1;
    for (let id = firstId; id < firstId + count; id++) {
      const fresh = existing.length === 0 || this.#random.chance(0.25);
      const customerId = fresh ? this.#random.pick(newIds) : (existing[popularIndex(this.#random, existing.length, 1.3)] ?? newIds[0] ?? 1);
      const signupAt = newCustomers.get(customerId)?.signupAt ?? this.#at - MICROS_PER_DAY;
      const currency = newCustomers.get(customerId)?.currency ?? currencyOf(asText(countryOf.get(customerId)));
      const orderedAt = momentBetween(this.#random, Math.max(signupAt, this.#at - 20 * MICROS_PER_HOUR), this.#at);
      const lines = createOrderLines(this.#random, catalog);
      const total = lines.reduce((sum, line) => sum + lineTotalCents(line), 0);
      const status = this.#random.chance(0.6) ? 'pending' : 'paid';
      insertOrder.run(id, customerId, status, shopTimestamp(orderedAt), centsToDecimal(total), currency, createNote(this.#random), this.#atText);
      this.#changes.orders.inserted.add(id);
      for (const line of lines) {
        const discount = line.discountBasisPoints === null ? null : line.discountBasisPoints / 10_000;
        insertItem.run(++itemId, id, line.productId, line.quantity, centsToDecimal(line.unitPriceCents), discount, this.#atText);
        this.#changes.order_items.inserted.add(itemId);
      }
    }
  }

  /** Some existing customers subscribe to or unsubscribe from marketing email. */
  #toggleMarketing(count: number): void {
    const ids = this.#db.prepare('SELECT id FROM customers ORDER BY id').pluck().all().map(asNumber);
    const existing = ids.filter((id) => !this.#changes.customers.inserted.has(id));
    const update = this.#db.prepare('UPDATE customers SET marketing_opt_in = 1 - marketing_opt_in, updated_at = ? WHERE id = ?');
    for (const id of sample(this.#random, existing, count)) {
      update.run(this.#atText, id);
      this.#changes.customers.updated.add(id);
    }
  }

  /** Lifetime values are recomputed in cents: adding doubles in SQL would leave values like 12.340000000001. */
  #applyLifetimeValues(): void {
    const read = this.#db.prepare('SELECT lifetime_value FROM customers WHERE id = ?').pluck();
    const update = this.#db.prepare('UPDATE customers SET lifetime_value = ?, updated_at = ? WHERE id = ?');
    for (const [id, delta] of [...this.#lifetimeDelta].sort(([a], [b]) => a - b)) {
      const cents = decimalToCents(read.get(id)) + delta;
      update.run(centsToDecimal(Math.max(0, cents)), this.#atText, id);
      this.#changes.customers.updated.add(id);
    }
  }
}
