import type { ConnectorContext, ConnectorDefinition } from '../../core/connector.js';
import { ConnectionError } from '../../core/errors.js';
import { closeConnection, openConnection } from './client.js';
import { endpointText, mysqlConfigSchema, type MysqlConfig } from './config.js';
import { MysqlDestination } from './destination.js';
import { serverMessage } from './driver-error.js';
import { MysqlSource } from './source.js';

export type { MysqlConfig } from './config.js';

/** Connect, run `SELECT 1`, disconnect; a ConnectionError (password redacted, with a hint) on failure. */
async function check(config: MysqlConfig, ctx: ConnectorContext): Promise<void> {
  const connection = await openConnection(config, ctx);
  try {
    await connection.query('SELECT 1');
  } catch (error) {
    throw new ConnectionError(`connected to mysql at ${endpointText(config)} but \`SELECT 1\` failed: ${serverMessage(error)}`, {
      connection: ctx.connection,
      hint: 'check the user has access to the database',
      cause: error,
    });
  } finally {
    await closeConnection(connection);
  }
}

/**
 * The `mysql` connector (alias `mariadb`): source (tables, views, queries,
 * streamed and decoded exactly) and destination (staged LOAD DATA LOCAL
 * INFILE, atomic RENAME swap, checkpoint in the publishing transaction).
 *
 * @example
 * connections:
 *   shop:
 *     type: mysql
 *     url: mysql://ferry:${MYSQL_PASSWORD}@db:3306/shop
 *     zero_dates: 'null'
 */
export const mysqlConnector: ConnectorDefinition<MysqlConfig> = {
  name: 'mysql',
  description: 'MySQL and MariaDB: tables, views and queries in; LOAD DATA LOCAL INFILE loads with atomic publish out',
  configSchema: mysqlConfigSchema,
  secretKeys: ['password', 'url'],
  check,
  createSource: (config, ctx) => new MysqlSource(config, ctx),
  createDestination: (config, ctx) => new MysqlDestination(config, ctx),
};

/** The same connector under the name MariaDB users write. */
export const mariadbConnector: ConnectorDefinition<MysqlConfig> = { ...mysqlConnector, name: 'mariadb' };
