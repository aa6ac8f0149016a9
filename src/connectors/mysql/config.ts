import type { ConnectionOptions } from 'mysql2';
import { z } from 'zod';

/** What a read does with dates MySQL accepts and no other engine holds (`0000-00-00`, `2020-00-00`). */
export const ZERO_DATE_POLICIES = ['error', 'null', 'keep_text'] as const;
export type ZeroDatePolicy = (typeof ZERO_DATE_POLICIES)[number];

/** How MySQL TIME columns (a duration from -838:59:59 to 838:59:59) are read. */
export const TIME_TYPES = ['time', 'interval'] as const;
export type TimeType = (typeof TIME_TYPES)[number];

/** How a destination stages rows. */
export const BULK_LOADS = ['auto', 'load_data', 'insert'] as const;
export type BulkLoad = (typeof BULK_LOADS)[number];

/**
 * Connection settings of a `mysql` (or `mariadb`) connection: a URL, or its parts.
 *
 * @example
 * { url: 'mysql://ferry:${MYSQL_PASSWORD}@db:3306/shop' }
 * { host: 'db', user: 'ferry', password: '...', database: 'shop', zero_dates: 'null' }
 */
export const mysqlConfigSchema = z
  .object({
    url: z
      .string()
      .min(1)
      .optional()
      .describe('Connection URL; when set, host/port/user/password/database are ignored. Give `url` or `host`. Example: mysql://ferry:${MYSQL_PASSWORD}@db:3306/shop'),
    host: z.string().min(1).optional().describe('Server host name or IP, used when `url` is not given. Example: db.internal'),
    port: z.coerce
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(3306)
      .describe('Server TCP port (1-65535; a numeric string from ${VAR} is accepted), used with `host`. Default: 3306.'),
    user: z.string().min(1).optional().describe('Login user, used with `host`. Example: ferry'),
    password: z.string().optional().describe('Password of `user`, used with `host`; keep it in an environment variable. Example: ${MYSQL_PASSWORD}'),
    database: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Default database (MySQL calls schemas databases): tables named without one are read and written here, and `_ferry_checkpoints` lives here. Required to write. Example: analytics',
      ),
    ssl: z
      .boolean()
      .optional()
      .describe('true: use TLS and verify the server certificate; false or unset: no TLS. Example: true'),
    zero_dates: z
      // YAML reads a bare `null` as null: `zero_dates: null` means the policy named null.
      .preprocess((value) => (value === null ? 'null' : value), z.enum(ZERO_DATE_POLICIES).default('error'))
      .describe(
        'Reading DATE/DATETIME/TIMESTAMP values with a zero part (0000-00-00, 2020-00-00), which no other engine holds: `error` fails the read naming table, column and value (default); `null` reads them as NULL (those columns become nullable; a warning counts them); `keep_text` reads every DATE, DATETIME and TIMESTAMP column as text exactly as the server prints it.',
      ),
    time_type: z
      .enum(TIME_TYPES)
      .default('time')
      .describe(
        'MySQL TIME is a duration (-838:59:59 to 838:59:59). `time` (default) reads it as a time of day and fails on values outside 00:00:00-24:00:00; `interval` reads every TIME column as an ISO 8601 interval, so negative and >24h values keep their meaning.',
      ),
    bulk_load: z
      .enum(BULK_LOADS)
      .default('auto')
      .describe(
        'How a destination stages rows: `load_data` streams LOAD DATA LOCAL INFILE (fastest; needs local_infile=ON on the server), `insert` sends large multi-row INSERTs, `auto` (default) uses LOAD DATA when the server allows it and INSERTs otherwise.',
      ),
  })
  .refine((c) => c.url !== undefined || c.host !== undefined, {
    message: 'give either `url` or `host` (with `user` and `database`)',
    path: ['url'],
  })
  .describe('MySQL or MariaDB server (source and destination): a connection `url`, or `host` with `user`, `password` and `database`.');

export type MysqlConfig = z.infer<typeof mysqlConfigSchema>;

/**
 * Session settings every connection runs with: UTC instants, strict value
 * checks (no silent truncation), backslash escapes and backtick quoting as the
 * generated SQL expects, and long network timeouts so a paused stream (the
 * consumer is slower than the server) is not cut off.
 */
export const SESSION_SQL =
  "SET SESSION time_zone = '+00:00', " +
  "sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO,ERROR_FOR_DIVISION_BY_ZERO', " +
  'net_write_timeout = 3600, net_read_timeout = 3600, group_concat_max_len = 1048576';

/** The database named in the config or its URL, if any. */
export function defaultDatabase(config: MysqlConfig): string | undefined {
  if (config.url === undefined) return config.database;
  try {
    const path = decodeURIComponent(new URL(config.url).pathname.replace(/^\//, ''));
    return path === '' ? undefined : path;
  } catch {
    return undefined;
  }
}

/** Driver settings for one connection: every value arrives as raw bytes, decoded by Ferry. */
export function connectionOptions(config: MysqlConfig): ConnectionOptions {
  const base: ConnectionOptions = {
    charset: 'utf8mb4',
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    decimalNumbers: false,
    multipleStatements: false,
    enableKeepAlive: true,
    flags: ['+LOCAL_FILES'],
    ...(config.ssl === true ? { ssl: { rejectUnauthorized: true } } : {}),
  };
  if (config.url !== undefined) return { ...base, uri: config.url };
  return {
    ...base,
    host: config.host,
    port: config.port,
    ...(config.user !== undefined ? { user: config.user } : {}),
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(config.database !== undefined ? { database: config.database } : {}),
  };
}

/** `user@host:port/db` without the password, for messages. */
export function endpointText(config: MysqlConfig): string {
  if (config.url !== undefined) {
    try {
      const u = new URL(config.url);
      const user = u.username ? `${decodeURIComponent(u.username)}@` : '';
      return `${user}${u.hostname}:${u.port || '3306'}${u.pathname}`;
    } catch {
      return 'the configured url';
    }
  }
  return `${config.user ? `${config.user}@` : ''}${config.host}:${config.port}/${config.database ?? ''}`;
}
