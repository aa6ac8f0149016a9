import type { ConnectorContext, ConnectorDefinition } from '../../core/connector.js';
import { duckdbConfigSchema, duckdbDatabasePath, duckdbOptions, type DuckdbConfig } from './config.js';
import { DuckdbDestination } from './destination.js';
import { acquireInstance } from './instance-cache.js';
import { DuckdbSource } from './source.js';

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
  description: 'DuckDB database file (tables, views, queries; appender-staged writes published in one transaction)',
  configSchema: duckdbConfigSchema,
  secretKeys: [],
  async check(config: DuckdbConfig, ctx: ConnectorContext): Promise<void> {
    const lease = await acquireInstance(duckdbDatabasePath(config, ctx), duckdbOptions(config), ctx.connection);
    try {
      const conn = await lease.instance.connect();
      await conn.run('SELECT 1');
      conn.closeSync();
    } finally {
      lease.release();
    }
  },
  createSource: (config, ctx) => new DuckdbSource(config, ctx),
  createDestination: (config, ctx) => new DuckdbDestination(config, ctx),
};

export { DuckdbSource } from './source.js';
export { DuckdbDestination } from './destination.js';
export type { DuckdbConfig } from './config.js';
