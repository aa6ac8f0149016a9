import pg from 'pg';
import type { ConnectorContext } from '../../core/connector.js';
import { ConnectionError, redact } from '../../core/errors.js';
import { clientConfig, endpointText, type PostgresConfig } from './config.js';
import { errorCode } from './driver-error.js';

/** What to try when a connection fails, by SQLSTATE or socket error code. */
const CONNECT_HINTS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'is Postgres running and listening on that host and port?',
  ENOTFOUND: 'the host name does not resolve; check `host` / the url',
  ETIMEDOUT: 'the server did not answer; check the host, port and firewalls',
  '28P01': 'wrong password or user; check `user`/`password` (or the url)',
  '28000': 'the server refused this user/host (pg_hba.conf) or needs TLS: try `ssl: true` or `?sslmode=require`',
  '3D000': 'the database does not exist; check `database` (or the path of the url)',
  '53300': 'the server has too many connections; lower `threads` or raise max_connections',
};

/** A ConnectionError for a failed connect, with the password redacted and a hint. */
export function connectionError(config: PostgresConfig, ctx: ConnectorContext, error: unknown): ConnectionError {
  const code = errorCode(error) ?? '';
  const reason = error instanceof Error ? error.message : String(error);
  const hint = CONNECT_HINTS[code] ?? (/SSL|TLS|certificate/i.test(reason) ? 'check `ssl` / `sslmode` and the server certificate' : 'check the connection settings in ferry.yml');
  return new ConnectionError(redact(`cannot connect to postgres at ${endpointText(config)}: ${reason}`), {
    connection: ctx.connection,
    hint,
    cause: error,
  });
}

/**
 * Open a dedicated connection with Ferry's session settings. An error event on
 * an idle dedicated client (server restart) must not crash the process; the
 * next query on it fails and is reported there.
 */
export async function openClient(config: PostgresConfig, ctx: ConnectorContext): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(config));
  client.on('error', (error: Error) => ctx.logger.debug({ err: redact(error.message) }, 'postgres connection error'));
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw connectionError(config, ctx, error);
  }
  return client;
}

/** A small pool for catalog and checkpoint queries (data moves on dedicated clients). */
export function openPool(config: PostgresConfig, ctx: ConnectorContext): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(config), max: 2, idleTimeoutMillis: 10_000 });
  pool.on('error', (error: Error) => ctx.logger.debug({ err: redact(error.message) }, 'idle postgres connection error'));
  return pool;
}

/** Run `fn` on a pooled client, turning connect failures into ConnectionError. */
export async function withPooledClient<T>(
  pool: pg.Pool,
  config: PostgresConfig,
  ctx: ConnectorContext,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw connectionError(config, ctx, error);
  }
  let broken = false;
  try {
    return await fn(client);
  } catch (error) {
    broken = errorCode(error)?.startsWith('08') ?? false;
    throw error;
  } finally {
    client.release(broken);
  }
}

/** Forcefully close a client whose protocol state is unknown (mid-COPY, aborted). */
export function destroyClient(client: pg.Client): void {
  const connection = (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection;
  connection?.stream?.destroy();
  client.end().catch(() => undefined);
}
