import { DataError, FerryError, RetryableError, redact, type FerryErrorOptions } from '../../core/errors.js';

/** Fields of a mysql2 error that we read. */
interface MysqlErrorFields {
  readonly message?: unknown;
  readonly code?: unknown;
  readonly errno?: unknown;
  readonly sqlState?: unknown;
  readonly fatal?: unknown;
}

/**
 * Server error numbers after which the same work may simply be tried again:
 * deadlock, lock wait timeout, too many connections, server shutdown, lost or
 * gone-away connections, query interrupted by a restart.
 */
const RETRYABLE_ERRNOS = new Set([1205, 1213, 1040, 1053, 1077, 1078, 1079, 1080, 1152, 1153, 1158, 1159, 1160, 1161, 2002, 2003, 2006, 2013, 1927]);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EHOSTUNREACH', 'PROTOCOL_CONNECTION_LOST']);

function fields(error: unknown): MysqlErrorFields {
  return typeof error === 'object' && error !== null ? (error as MysqlErrorFields) : {};
}

/** The driver's symbolic code (`ER_DUP_ENTRY`, `ECONNREFUSED`), if any. */
export function errorCode(error: unknown): string | undefined {
  const code = fields(error).code;
  return typeof code === 'string' ? code : undefined;
}

/** MySQL's duplicate-entry error number. */
export const ER_DUP_ENTRY = 1062;
/** MySQL's "multiple primary key defined" error number. */
export const ER_MULTIPLE_PRI_KEY = 1068;

/** The server's error number (ER_DUP_ENTRY for a duplicate key), if any. */
export function errorNumber(error: unknown): number | undefined {
  const errno = fields(error).errno;
  return typeof errno === 'number' ? errno : undefined;
}

function isRetryable(error: unknown): boolean {
  const errno = errorNumber(error);
  const code = errorCode(error);
  return (errno !== undefined && RETRYABLE_ERRNOS.has(errno)) || (code !== undefined && RETRYABLE_CODES.has(code)) || fields(error).fatal === true;
}

/** The server's message with its SQLSTATE, password-free. */
export function serverMessage(error: unknown): string {
  const e = fields(error);
  const text = typeof e.message === 'string' ? e.message : String(error);
  const state = typeof e.sqlState === 'string' && e.sqlState !== 'HY000' ? ` (SQLSTATE ${e.sqlState})` : '';
  return redact(`${text}${state}`);
}

/**
 * Wrap a driver error in the Ferry error family it belongs to: transient
 * failures become RetryableError, bad values (SQLSTATE 22xxx/23xxx) DataError,
 * the rest FerryError. `what` says what we were doing ("read shop.orders").
 */
export function driverError(error: unknown, what: string, options: FerryErrorOptions = {}): FerryError {
  if (error instanceof FerryError) return error;
  const state = fields(error).sqlState;
  const opts = { ...options, cause: error };
  const message = `${what} failed: ${serverMessage(error)}`;
  if (isRetryable(error)) return new RetryableError(message, opts);
  if (typeof state === 'string' && (state.startsWith('22') || state.startsWith('23'))) return new DataError(message, opts);
  return new FerryError(message, opts);
}
