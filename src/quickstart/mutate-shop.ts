import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ConfigError, FerryError } from '../core/errors.js';
import { DayOfActivity, type TableChanges } from './day-of-activity.js';
import { DEFAULT_SHOP_SEED } from './generate-shop.js';
import { MICROS_PER_DAY, SHOP_ACTIVITY_MICROS, parseShopTimestamp, shopTimestamp } from './shop-clock.js';
import { SHOP_TABLES, type ShopTable } from './shop-schema.js';
import { SeededRandom } from './seeded-random.js';

export type { TableChanges } from './day-of-activity.js';

export interface ActivityOptions {
  readonly seed?: number;
  /**
   * When the day's changes happen (`YYYY-MM-DD HH:MM:SS[.ffffff]`, UTC): every
   * changed row gets this `updated_at`. Defaults to the base date + 400 days
   * (2026-02-05 09:41:27.318204), or a day after the newest `updated_at` when
   * the shop has already lived past that.
   */
  readonly at?: string;
}

/**
 * The ids each table gained (`inserted`), changed (`updated`) and lost
 * (`deleted`), ascending, and the `updated_at` they were given. Deleted rows
 * reach a warehouse only through `mirror` writes or CDC; an incremental merge
 * sees inserts and updates.
 */
export type ShopChanges = { readonly at: string } & Readonly<Record<ShopTable, TableChanges>>;

/**
 * Simulate a day of activity in a shop made by `generateShopDatabase`, in one
 * transaction: about 1% of orders move on (paid, shipped, delivered, some
 * cancelled or refunded), lifetime values and marketing consent change, a few
 * products are repriced, new customers sign up and place orders, and one
 * cancelled order is deleted with its items. Deterministic for a given
 * database and seed.
 *
 * @example
 * const changes = mutateShopDatabase('data/shop.db');
 * changes.orders.deleted; // [1234n]
 */
export function mutateShopDatabase(path: string, options: ActivityOptions = {}): ShopChanges {
  const seed = options.seed ?? DEFAULT_SHOP_SEED;
  if (!Number.isSafeInteger(seed)) throw new ConfigError(`seed must be an integer, got ${seed}`);
  if (!existsSync(path)) {
    throw new ConfigError(`no shop database at ${path}`, { file: path, hint: 'create it first with generateShopDatabase()' });
  }
  const db = new Database(path, { fileMustExist: true });
  try {
    db.defaultSafeIntegers(true);
    const at = activityMoment(db, options.at);
    const day = new DayOfActivity(db, new SeededRandom(seed).fork('day of activity'), at);
    const changes = db.transaction(() => day.run())();
    return { at: shopTimestamp(at), ...changes };
  } catch (error) {
    if (error instanceof FerryError) throw error;
    throw new FerryError(`could not apply the day of activity to the shop database ${path}`, {
      file: path,
      hint: 'the file must be a shop made by generateShopDatabase(); nothing was changed',
      cause: error,
    });
  } finally {
    db.close();
  }
}

/** The newest `updated_at` in the shop, in microseconds (timestamps are fixed-width text, so max() is time order). */
function newestUpdate(db: Database.Database): number {
  const newest = SHOP_TABLES.map((table) => db.prepare(`SELECT max(updated_at) FROM ${table}`).pluck().get())
    .filter((value): value is string => typeof value === 'string')
    .sort()
    .pop();
  return newest === undefined ? 0 : parseShopTimestamp(newest);
}

/**
 * The moment of the day's changes. It must be later than every existing
 * `updated_at`: an incremental sync reads `updated_at >=` its last cursor and
 * would never see changes stamped earlier.
 */
function activityMoment(db: Database.Database, at: string | undefined): number {
  const newest = newestUpdate(db);
  if (at === undefined) return SHOP_ACTIVITY_MICROS > newest ? SHOP_ACTIVITY_MICROS : newest + MICROS_PER_DAY;
  const micros = parseShopTimestamp(at);
  if (micros <= newest) {
    throw new ConfigError(`the activity time ${at} is not after the newest updated_at in the shop (${shopTimestamp(newest)})`, {
      hint: 'pick a later time, or leave `at` out to use the next day; an incremental sync would miss changes stamped in the past',
    });
  }
  return micros;
}
