import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ConnectionError, FerryError, RetryableError } from '../../core/errors.js';

export type SqliteDatabase = Database.Database;

export interface OpenDatabaseOptions {
  readonly path: string;
  readonly busyTimeoutMs: number;
  /** Connection name, for messages. */
  readonly connection: string;
  /** Create the file (and its folder) when missing; destinations do, sources do not. */
  readonly create: boolean;
}

/**
 * Open a database with 64-bit integers as bigint (never through a float) and a
 * busy timeout. Writers switch to WAL so readers in other processes are never
 * blocked by a long staging transaction.
 */
export function openDatabase(options: OpenDatabaseOptions): SqliteDatabase {
  try {
    if (options.create && options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    const db = new Database(options.path, { fileMustExist: !options.create });
    db.defaultSafeIntegers(true);
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
    if (options.create && options.path !== ':memory:') db.pragma('journal_mode = WAL');
    return db;
  } catch (error) {
    throw new ConnectionError(`cannot open SQLite database ${options.path}: ${(error as Error).message}`, {
      connection: options.connection,
      hint: options.create ? 'check that the folder is writable' : 'check the path; a source needs an existing database file',
      cause: error,
    });
  }
}

/** SQLITE_BUSY / SQLITE_LOCKED: another connection holds the lock; the engine may retry. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** Wrap a driver error: lock contention becomes retryable, everything else stays terminal. */
export function wrapSqliteError(error: unknown, message: string, context: { stream?: string; connection: string }): Error {
  if (isBusy(error)) return new RetryableError(`${message}: the database is locked`, { ...context, hint: 'another process is writing; raise busy_timeout_ms', cause: error });
  if (error instanceof FerryError) return error;
  return new FerryError(`${message}: ${error instanceof Error ? error.message : String(error)}`, { ...context, cause: error });
}
