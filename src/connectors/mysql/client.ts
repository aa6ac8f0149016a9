import type mysql from 'mysql2/promise';
import type { Readable, Writable } from 'node:stream';
import type { ConnectorContext } from '../../core/connector.js';
import { ConnectionError, redact } from '../../core/errors.js';
import { connectionOptions, endpointText, SESSION_SQL, type MysqlConfig } from './config.js';
import { errorCode, errorNumber } from './driver-error.js';

export type MysqlConnection = mysql.Connection;

/** What to try when a connection fails, by driver code or server error number. */
const CONNECT_HINTS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'is MySQL/MariaDB running and listening on that host and port?',
  ENOTFOUND: 'the host name does not resolve; check `host` / the url',
  ETIMEDOUT: 'the server did not answer; check the host, port and firewalls',
  '1045': 'wrong password or user; check `user`/`password` (or the url)',
  '1044': 'the user may not use this database; check the grants',
  '1049': 'the database does not exist; check `database` (or the path of the url)',
  '1040': 'the server has too many connections; lower `threads` or raise max_connections',
  '1130': 'the server does not accept this user from this host; check the grants',
};

/** A ConnectionError for a failed connect, with the password redacted and a hint. */
export function connectionError(config: MysqlConfig, ctx: ConnectorContext, error: unknown): ConnectionError {
  const key = errorCode(error) !== undefined && CONNECT_HINTS[errorCode(error) ?? ''] ? (errorCode(error) ?? '') : String(errorNumber(error) ?? '');
  const reason = error instanceof Error ? error.message : String(error);
  return new ConnectionError(redact(`cannot connect to mysql at ${endpointText(config)}: ${reason}`), {
    connection: ctx.connection,
    hint: CONNECT_HINTS[key] ?? 'check the connection settings in ferry.yml',
    cause: error,
  });
}

/**
 * Open a dedicated connection with Ferry's session settings. LOAD DATA LOCAL
 * streams are offered per query (`infileStreamFactory` on the query); any
 * other request for a local file fails, so a hostile server cannot make Ferry
 * read files.
 */
export async function openConnection(config: MysqlConfig, ctx: ConnectorContext): Promise<MysqlConnection> {
  let connection: MysqlConnection;
  try {
    // Loaded on first use: a run without a MySQL connection never pays for the driver's module graph.
    const { default: driver } = await import('mysql2/promise');
    connection = await driver.createConnection({
      ...connectionOptions(config),
      infileStreamFactory: () => {
        throw new Error('the server asked for a local file Ferry did not offer');
      },
    });
  } catch (error) {
    throw connectionError(config, ctx, error);
  }
  connection.on('error', (error: Error) => ctx.logger.debug({ err: redact(error.message) }, 'mysql connection error'));
  try {
    await connection.query(SESSION_SQL);
  } catch (error) {
    connection.destroy();
    throw connectionError(config, ctx, error);
  }
  return connection;
}

/** Close politely; fall back to destroying the socket. */
export async function closeConnection(connection: MysqlConnection): Promise<void> {
  await connection.end().catch(() => connection.destroy());
}

/** The callback-style connection under a promise one (streams and LOAD DATA need it). */
export interface CoreConnection {
  query(options: { sql: string; rowsAsArray?: boolean; typeCast?: boolean; infileStreamFactory?: (path: string) => Readable }): CoreQuery;
  readonly stream: Writable & { readonly writableNeedDrain: boolean };
}

export interface CoreQuery {
  stream(options?: { highWaterMark?: number }): Readable;
}

export function coreOf(connection: MysqlConnection): CoreConnection {
  return (connection as unknown as { connection: CoreConnection }).connection;
}
