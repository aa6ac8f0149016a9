import type { ClientConfig } from 'pg';
import { z } from 'zod';

/**
 * Connection settings of a `postgres` connection: a URL, or its parts.
 *
 * @example
 * { url: 'postgres://ferry:${PGPASSWORD}@db:5432/shop?sslmode=require', schema: 'raw' }
 * { host: 'db', user: 'ferry', password: '...', database: 'shop' }
 */
export const postgresConfigSchema = z
  .object({
    url: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Connection URL; when set, host/port/user/password/database are ignored. Give `url` or `host`. Example: postgres://ferry:${PGPASSWORD}@db:5432/shop?sslmode=require',
      ),
    host: z
      .string()
      .min(1)
      .optional()
      .describe('Server host name or IP, used when `url` is not given. Example: db.internal'),
    port: z.coerce
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(5432)
      .describe('Server TCP port (1-65535; a numeric string from ${VAR} is accepted), used with `host`. Default: 5432.'),
    user: z
      .string()
      .min(1)
      .optional()
      .describe('Login role, used with `host`; unset, the driver takes PGUSER or the OS user. Example: ferry'),
    password: z
      .string()
      .optional()
      .describe('Password of `user`, used with `host`; keep it in an environment variable. Example: ${PGPASSWORD}'),
    database: z
      .string()
      .min(1)
      .optional()
      .describe('Database name, used with `host`; unset, the driver takes PGDATABASE or the user name. Example: shop'),
    schema: z
      .string()
      .min(1)
      .default('public')
      .describe(
        'Schema for tables named without one (read and written) and where the _ferry_checkpoints table lives. Default: public. Example: raw',
      ),
    ssl: z
      .boolean()
      .optional()
      .describe(
        'true: use TLS and verify the server certificate; false: no TLS. Unset: the driver default (sslmode in `url`, else no TLS). Example: true',
      ),
    application_name: z
      .string()
      .default('ferry')
      .describe('Name shown for Ferry sessions in pg_stat_activity and server logs. Default: ferry. Example: ferry-nightly'),
  })
  .refine((c) => c.url !== undefined || c.host !== undefined, {
    message: 'give either `url` or `host` (with `user` and `database`)',
    path: ['url'],
  })
  .describe('PostgreSQL database (source and destination): a connection `url`, or `host` with `user`, `password` and `database`.');

export type PostgresConfig = z.infer<typeof postgresConfigSchema>;

/**
 * Session settings every connection runs with, so the text the server sends is
 * one fixed dialect the decoder understands (UTC instants, ISO dates and
 * intervals, shortest exact floats, hex bytea).
 */
export const SESSION_SETTINGS = {
  TimeZone: 'UTC',
  DateStyle: 'ISO,YMD',
  IntervalStyle: 'iso_8601',
  extra_float_digits: '3',
  bytea_output: 'hex',
  client_encoding: 'UTF8',
  standard_conforming_strings: 'on',
} as const;

/** The startup `options` string carrying SESSION_SETTINGS (no round trip after connecting). */
function sessionOptions(): string {
  return Object.entries(SESSION_SETTINGS)
    .map(([key, value]) => `-c ${key}=${value}`)
    .join(' ');
}

/** Driver settings for one connection. */
export function clientConfig(config: PostgresConfig): ClientConfig {
  const base: ClientConfig = {
    application_name: config.application_name,
    options: sessionOptions(),
    // Long COPYs can idle a connection between batches; keepalives stop middleboxes dropping it.
    keepAlive: true,
  };
  const tls = config.ssl === undefined ? {} : { ssl: config.ssl };
  if (config.url !== undefined) return { ...base, connectionString: config.url, ...tls };
  return {
    ...base,
    host: config.host,
    port: config.port,
    ...(config.user !== undefined ? { user: config.user } : {}),
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(config.database !== undefined ? { database: config.database } : {}),
    ...tls,
  };
}

/** `user@host:port/db` without the password, for messages. */
export function endpointText(config: PostgresConfig): string {
  if (config.url !== undefined) {
    try {
      const u = new URL(config.url);
      const user = u.username ? `${decodeURIComponent(u.username)}@` : '';
      return `${user}${u.hostname}:${u.port || '5432'}${u.pathname}`;
    } catch {
      return 'the configured url';
    }
  }
  return `${config.user ? `${config.user}@` : ''}${config.host}:${config.port}/${config.database ?? ''}`;
}
