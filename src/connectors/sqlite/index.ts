import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConnectionError } from '../../core/errors.js';
import type { ConnectorContext, ConnectorDefinition } from '../../core/connector.js';
import { sqliteConfigSchema, sqliteDatabasePath, type SqliteConfig } from './config.js';
import { openDatabase } from './database.js';
import { SqliteDestination } from './destination.js';
import { SqliteSource } from './source.js';

function checkCreatable(path: string, ctx: ConnectorContext): void {
  let folder = dirname(path);
  while (!existsSync(folder) && dirname(folder) !== folder) folder = dirname(folder);
  try {
    accessSync(folder, constants.W_OK);
  } catch (error) {
    throw new ConnectionError(`cannot create SQLite database ${path}: ${folder} is not writable`, { connection: ctx.connection, cause: error });
  }
}

/**
 * SQLite files as source and destination.
 *
 * @example
 * ```yaml
 * connections:
 *   shop: { type: sqlite, path: data/shop.db }
 * ```
 */
export const sqliteConnector: ConnectorDefinition<SqliteConfig> = {
  name: 'sqlite',
  description: 'SQLite database file (tables, views and queries; writes via staging tables in one transaction)',
  configSchema: sqliteConfigSchema,
  secretKeys: [],
  async check(config: SqliteConfig, ctx: ConnectorContext): Promise<void> {
    const path = sqliteDatabasePath(config, ctx);
    // A destination file that does not exist yet is fine: the first write creates it.
    if (path !== ':memory:' && !existsSync(path)) return checkCreatable(path, ctx);
    const db = openDatabase({ path, busyTimeoutMs: config.busy_timeout_ms, connection: ctx.connection, create: false });
    try {
      db.prepare('SELECT count(*) FROM sqlite_master').get();
    } finally {
      db.close();
    }
  },
  createSource: (config, ctx) => new SqliteSource(config, ctx),
  createDestination: (config, ctx) => new SqliteDestination(config, ctx),
};

export { SqliteSource } from './source.js';
export { SqliteDestination } from './destination.js';
export type { SqliteConfig } from './config.js';
