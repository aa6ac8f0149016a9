import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { SHOP_TABLES, type ShopTable } from './shop-schema.js';

/**
 * The shop's contents as stored, for checks: the quickstart's verification
 * and the tests compare snapshots before and after a day of activity.
 * Integers are read as bigint (safe integers), so nothing is rounded.
 */

/** One table's rows by id; each row maps column name to the stored value. */
export type TableSnapshot = ReadonlyMap<bigint, Readonly<Record<string, unknown>>>;

export type ShopSnapshot = Readonly<Record<ShopTable, TableSnapshot>>;

function readTable(db: Database.Database, table: ShopTable): TableSnapshot {
  const rows = db.prepare(`SELECT * FROM ${table} ORDER BY id`).all() as Record<string, unknown>[];
  const byId = new Map<bigint, Record<string, unknown>>();
  for (const row of rows) {
    if (typeof row.id !== 'bigint') throw new TypeError(`${table} row without an integer id`);
    byId.set(row.id, row);
  }
  return byId;
}

/** Every row of every shop table in the SQLite file at `path`. */
export function snapshotShop(path: string): ShopSnapshot {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.defaultSafeIntegers(true);
    const snapshot = {} as Record<ShopTable, TableSnapshot>;
    for (const table of SHOP_TABLES) snapshot[table] = readTable(db, table);
    return snapshot;
  } finally {
    db.close();
  }
}

/** A value with its storage class, so `12` (INTEGER), `12.0` (REAL) and `'12'` (TEXT) differ. */
function storedText(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return `integer:${value}`;
  if (typeof value === 'number') return `real:${value}`;
  if (typeof value === 'string') return `text:${JSON.stringify(value)}`;
  if (value instanceof Uint8Array) return `blob:${Buffer.from(value).toString('hex')}`;
  throw new TypeError(`unexpected stored value of type ${typeof value}`);
}

/** SHA-256 over every stored value of every table in id order: equal hashes mean equal contents. */
export function shopContentHash(path: string): string {
  const hash = createHash('sha256');
  const snapshot = snapshotShop(path);
  for (const table of SHOP_TABLES) {
    hash.update(`table ${table}\n`);
    for (const row of snapshot[table].values()) {
      hash.update(`${Object.entries(row).map(([column, value]) => `${column}=${storedText(value)}`).join('\t')}\n`);
    }
  }
  return hash.digest('hex');
}
