/**
 * The sample shop's tables in SQLite. Declared types are the ones people write
 * (TIMESTAMP, BOOLEAN, DECIMAL(p,s), JSON) so discovery maps them to logical
 * types; SQLite itself stores timestamps and JSON as text, booleans as 0/1 and
 * decimals with NUMERIC affinity (REAL, or INTEGER for whole amounts).
 */

/** The shop's tables in the order they are listed to the user. */
export const SHOP_TABLES = ['customers', 'products', 'orders', 'order_items'] as const;

export type ShopTable = (typeof SHOP_TABLES)[number];

/** Order states, in the order an order moves through them. */
export const ORDER_STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded'] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Statuses of orders that have not left the warehouse: `shipped_at` is NULL exactly for these. */
export const UNSHIPPED_STATUSES: readonly OrderStatus[] = ['pending', 'paid', 'cancelled'];

export const SHOP_SCHEMA_SQL = `
CREATE TABLE customers (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL,
  full_name TEXT,
  country TEXT NOT NULL,
  city TEXT,
  signup_at TIMESTAMP NOT NULL,
  marketing_opt_in BOOLEAN NOT NULL,
  lifetime_value DECIMAL(12,2) NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE TABLE products (
  id INTEGER PRIMARY KEY,
  sku TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  category TEXT NOT NULL,
  price DECIMAL(10,2) NOT NULL,
  weight_kg REAL,
  attributes JSON NOT NULL,
  active BOOLEAN NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers (id),
  status TEXT NOT NULL,
  ordered_at TIMESTAMP NOT NULL,
  shipped_at TIMESTAMP,
  total DECIMAL(12,2) NOT NULL,
  currency TEXT NOT NULL,
  note TEXT,
  updated_at TIMESTAMP NOT NULL
);
CREATE TABLE order_items (
  id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES orders (id),
  product_id INTEGER NOT NULL REFERENCES products (id),
  quantity INTEGER NOT NULL,
  unit_price DECIMAL(10,2) NOT NULL,
  discount DECIMAL(5,4),
  updated_at TIMESTAMP NOT NULL
);
`;

/**
 * Indexes for the incremental reads (`updated_at >= ?`) and item lookups of the
 * big tables, created after the bulk insert: building an index once is faster
 * than maintaining it per row. The small tables are scanned in milliseconds.
 */
export const SHOP_INDEX_SQL = `
CREATE INDEX orders_updated_at ON orders (updated_at);
CREATE INDEX order_items_order_id ON order_items (order_id);
CREATE INDEX order_items_updated_at ON order_items (updated_at);
`;

export const INSERT_SQL: Readonly<Record<ShopTable, string>> = {
  customers: `INSERT INTO customers (id, email, full_name, country, city, signup_at, marketing_opt_in, lifetime_value, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  products: `INSERT INTO products (id, sku, name, category, price, weight_kg, attributes, active, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  orders: `INSERT INTO orders (id, customer_id, status, ordered_at, shipped_at, total, currency, note, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  order_items: `INSERT INTO order_items (id, order_id, product_id, quantity, unit_price, discount, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
};

/** Whole cents as the number a DECIMAL(p,2) column stores: the nearest double, which prints back as the exact decimal. */
export function centsToDecimal(cents: number): number {
  return cents / 100;
}

/** Whole cents from a DECIMAL(p,2) value read back (REAL as number, or INTEGER as bigint under safe integers). */
export function decimalToCents(value: unknown): number {
  if (typeof value === 'bigint') return Number(value) * 100;
  if (typeof value === 'number') return Math.round(value * 100);
  throw new TypeError(`expected a decimal amount, got ${typeof value}`);
}
