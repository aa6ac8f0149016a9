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
    url: z.string().min(1).optional().describe('postgres://user:pass@host:port/db?sslmode=...'),
    host: z.string().min(1).optional(),
    port: z.coerce.number().int().min(1).max(65535).default(5432),
    user: z.string().min(1).optional(),
    password: z.string().optional(),
    database: z.string().min(1).optional(),
    schema: z
      .string()
      .min(1)
      .default('public')
      .describe('default schema of destination tables; where _ferry_checkpoints lives'),
    ssl: z.boolean().optional().describe('require TLS (certificates are verified)'),
    application_name: z.string().default('ferry'),
  })
  .refine((c) => c.url !== undefined || c.host !== undefined, {
    message: 'give either `url` or `host` (with `user` and `database`)',
    path: ['url'],
  });

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
