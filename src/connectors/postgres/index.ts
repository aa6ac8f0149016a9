import type { ConnectorContext, ConnectorDefinition } from '../../core/connector.js';
import { ConnectionError } from '../../core/errors.js';
import { openClient } from './client.js';
import { endpointText, postgresConfigSchema, type PostgresConfig } from './config.js';
import { serverMessage } from './driver-error.js';
import { PostgresDestination } from './destination.js';
import { PostgresSource } from './source.js';

export type { PostgresConfig } from './config.js';

/** Connect, run `select 1`, disconnect; a ConnectionError (password redacted, with a hint) on failure. */
async function check(config: PostgresConfig, ctx: ConnectorContext): Promise<void> {
  const client = await openClient(config, ctx);
  try {
    await client.query('select 1');
  } catch (error) {
    throw new ConnectionError(`connected to postgres at ${endpointText(config)} but \`select 1\` failed: ${serverMessage(error)}`, {
      connection: ctx.connection,
      hint: 'check the user has access to the database',
      cause: error,
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The `postgres` connector: source (tables, views, queries; COPY text decoded
 * or binary pass-through) and destination (staging + COPY, atomic publish,
 * checkpoint in the same transaction).
 *
 * @example
 * connections:
 *   warehouse:
 *     type: postgres
 *     url: postgres://ferry:${PGPASSWORD}@db:5432/analytics
 *     schema: raw
 */
export const postgresConnector: ConnectorDefinition<PostgresConfig> = {
  name: 'postgres',
  description: 'PostgreSQL: tables, views and queries in; staged COPY loads with atomic publish out',
  configSchema: postgresConfigSchema,
  secretKeys: ['password', 'url'],
  check,
  createSource: (config, ctx) => new PostgresSource(config, ctx),
  createDestination: (config, ctx) => new PostgresDestination(config, ctx),
};
