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

/**
 * A pool for catalog and checkpoint queries (`max` 2), or, with a larger `max`,
 * also for reads, so a read reuses the connection its planning queries opened
 * instead of paying for a new session.
 */
export function openPool(config: PostgresConfig, ctx: ConnectorContext, max = 2): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(config), max, idleTimeoutMillis: 10_000 });
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

/** A pooled client checked out for one read; `done` is idempotent and discards a client whose protocol state is unknown. */
export interface ClientLease {
  readonly client: pg.PoolClient;
  done(broken: boolean): void;
}

/** Check out a pooled client for a long operation (a COPY), turning connect failures into ConnectionError. */
export async function leaseClient(pool: pg.Pool, config: PostgresConfig, ctx: ConnectorContext): Promise<ClientLease> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw connectionError(config, ctx, error);
  }
  // A checked-out client has no idle listener: an error event (server restart) must not crash the process.
  const onError = (error: Error): void => ctx.logger.debug({ err: redact(error.message) }, 'postgres connection error');
  client.on('error', onError);
  let returned = false;
  return {
    client,
    done(broken: boolean): void {
      if (returned) return;
      returned = true;
      if (broken) {
        // The listener stays: a client being torn down may still report its socket's error.
        // Mid-COPY: close the socket so the server stops the query; the pool then drops the client.
        (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
        client.release(true);
      } else {
        client.off('error', onError);
        client.release();
      }
    },
  };
}

/** A writer's own session, and how to end it once the writer is done. */
export interface WriterSession {
  readonly client: pg.Client;
  /** End the session without waiting for the server; `broken` (protocol state unknown) closes the socket at once. */
  close(broken: boolean): void;
}

/**
 * A session for one writer. An idle pooled session (the one that just read the
 * checkpoint and described the target) is adopted instead of connecting anew, and
 * never handed back: the writer's session-level staging lock must end with it.
 */
export async function openWriterSession(pool: pg.Pool, config: PostgresConfig, ctx: ConnectorContext): Promise<WriterSession> {
  if (pool.idleCount === 0) {
    const client = await openClient(config, ctx);
    return { client, close: (broken) => (broken ? destroyClient(client) : void client.end().catch(() => undefined)) };
  }
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw connectionError(config, ctx, error);
  }
  // Checked out, the client has no idle listener: an error event (server restart) must not crash the process.
  client.on('error', (error: Error) => ctx.logger.debug({ err: redact(error.message) }, 'postgres connection error'));
  let closed = false;
  return {
    client,
    close(broken: boolean): void {
      if (closed) return;
      closed = true;
      if (broken) (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      // An error argument makes the pool end the session (client.end()) and forget it.
      client.release(true);
    },
  };
}
