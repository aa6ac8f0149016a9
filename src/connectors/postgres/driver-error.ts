import { DataError, FerryError, RetryableError, redact, type FerryErrorOptions } from '../../core/errors.js';

/** Fields of a server error (pg's DatabaseError) or a socket error that we read. */
interface ServerErrorFields {
  readonly message?: unknown;
  readonly code?: unknown;
  readonly detail?: unknown;
  readonly hint?: unknown;
  readonly where?: unknown;
}

/** SQLSTATEs after which the same work may simply be tried again. */
const RETRYABLE_STATES = new Set(['40001', '40P01', '55P03', '57P01', '57P02', '57P03', '53300', '53400']);
const RETRYABLE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EHOSTUNREACH']);

/** SQLSTATE (or socket error code) of a driver error, if it has one. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as ServerErrorFields).code;
  return typeof code === 'string' ? code : undefined;
}

function isRetryableDriverError(error: unknown): boolean {
  const code = errorCode(error);
  if (code !== undefined && (RETRYABLE_STATES.has(code) || code.startsWith('08') || RETRYABLE_SOCKET_CODES.has(code))) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connection (?:lost|closed)/i.test(message);
}

/** The server's message with its detail and context lines (where COPY names line and column). */
export function serverMessage(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const e = error as ServerErrorFields;
  const parts = [typeof e.message === 'string' ? e.message : String(error)];
  if (typeof e.detail === 'string' && e.detail) parts.push(`detail: ${e.detail}`);
  if (typeof e.where === 'string' && e.where) parts.push(`at: ${e.where.split('\n')[0]}`);
  return redact(parts.join('; '));
}

/**
 * Wrap a driver error in the Ferry error family it belongs to: transient
 * failures become RetryableError, bad values DataError, the rest FerryError.
 * `what` says what we were doing ("read public.orders").
 */
export function driverError(error: unknown, what: string, options: FerryErrorOptions = {}): FerryError {
  if (error instanceof FerryError) return error;
  const code = errorCode(error);
  const serverHint = typeof (error as ServerErrorFields | null)?.hint === 'string' ? String((error as ServerErrorFields).hint) : undefined;
  const opts = { ...(serverHint ? { hint: serverHint } : {}), ...options, cause: error };
  const message = `${what} failed: ${serverMessage(error)}`;
  if (isRetryableDriverError(error)) return new RetryableError(message, opts);
  if (code !== undefined && (code.startsWith('22') || code.startsWith('23'))) return new DataError(message, opts);
  return new FerryError(message, opts);
}
