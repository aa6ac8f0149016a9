import { constants, existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ConnectorContext, ConnectorDefinition } from '../../core/connector.js';
import { ConnectionError } from '../../core/errors.js';
import { duckdbConfigSchema, duckdbDatabasePath, duckdbOptions, type DuckdbConfig } from './config.js';
import { lazyModule } from '../lazy-module.js';

/** DuckDB's native binding takes about half a second to load: only runs that use DuckDB pay for it. */
const parts = lazyModule('duckdb', () => import('./connector-parts.js'));

/**
 * DuckDB databases as source and destination (the local warehouse).
 *
 * @example
 * ```yaml
 * connections:
 *   warehouse: { type: duckdb, path: warehouse.duckdb, schema: main }
 * ```
 */
export const duckdbConnector: ConnectorDefinition<DuckdbConfig> = {
  name: 'duckdb',
  description: 'DuckDB database file (tables, views, queries; writes staged by the appender, or from Postgres binary COPY as Parquet parts, published in one transaction)',
  configSchema: duckdbConfigSchema,
  secretKeys: [],
  load: () => parts.load(),
  async check(config: DuckdbConfig, ctx: ConnectorContext): Promise<void> {
    const path = duckdbDatabasePath(config, ctx);
    if (path !== ':memory:' && !existsSync(path)) {
      // Not created yet (the first write creates it): checking must not create it, only that it could be.
      await access(nearestExistingFolder(dirname(path)), constants.W_OK).catch((error: unknown) => {
        throw new ConnectionError(`DuckDB database ${path} does not exist and its folder is not writable`, { connection: ctx.connection, cause: error });
      });
      return;
    }
    await parts.load();
    const lease = await parts.get().acquireInstance(path, duckdbOptions(config), ctx.connection);
    try {
      const conn = await lease.instance.connect();
      await conn.run('SELECT 1');
      conn.closeSync();
    } finally {
      lease.release();
    }
  },
  createSource: (config, ctx) => new (parts.get().DuckdbSource)(config, ctx),
  createDestination: (config, ctx) => new (parts.get().DuckdbDestination)(config, ctx),
};

function nearestExistingFolder(folder: string): string {
  let current = folder;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

export type { DuckdbConfig } from './config.js';
