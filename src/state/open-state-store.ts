import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { ConnectionError, FerryError, redact } from '../core/errors.js';
import { KeyedQueue } from './keyed-queue.js';
import { KyselyStateStore } from './kysely-state-store.js';
import { SQLITE_STATE_DIALECT, postgresStateDialect, type StateDialect } from './state-dialect.js';
import type { StateStore } from './state-store.js';
import type { StateTables } from './state-tables.js';
import { parseStateUrl, type StateLocation } from './state-url.js';

/** How long a SQLite writer waits for another process' write lock before failing. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * better-sqlite3 waits for a busy file synchronously, blocking the event loop;
 * two stores of one process migrating the same file at once would wait out each
 * other's open transaction. Opens of one file in this process therefore queue;
 * across processes `BEGIN IMMEDIATE` does the job.
 */
const sqliteOpens = new KeyedQueue();

/**
 * Open (and create or upgrade) the state store named by a `state:` URL:
 * `sqlite:<path>` relative to the project (default `.ferry/state.db`),
 * `sqlite::memory:`, or `postgres://...` / `postgresql://...` with an optional
 * `?schema=` for the tables. Open one store per SQLite file per process and
 * share it: its single connection serializes this process' writes, while
 * separate connections would block each other's event loop on the file lock.
 *
 * @example
 * const state = await openStateStore('sqlite:.ferry/state.db', project.dir);
 * try { await runSync({ project, state, sync: 'shop' }); } finally { await state.close(); }
 */
export async function openStateStore(url: string, projectDir: string): Promise<StateStore> {
  const location = parseStateUrl(url, projectDir);
  const { db, dialect } = connect(location, url);
  const store = new KyselyStateStore(db, dialect);
  try {
    if (location.kind === 'sqlite') await sqliteOpens.run(location.file, () => store.migrate());
    else await store.migrate();
  } catch (cause) {
    await store.close().catch(() => undefined);
    if (cause instanceof FerryError) throw cause;
    throw openError(location, url, cause);
  }
  return store;
}

function connect(location: StateLocation, url: string): { db: Kysely<StateTables>; dialect: StateDialect } {
  if (location.kind === 'postgres') {
    const pool = new pg.Pool({
      connectionString: location.connectionString,
      ...(location.schema === undefined ? {} : { options: `-c search_path=${location.schema}` }),
    });
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    return { db: new Kysely<StateTables>({ dialect: new PostgresDialect({ pool }) }), dialect: postgresStateDialect(location.schema) };
  }
  try {
    const database = location.kind === 'sqlite' ? openSqliteFile(location.file) : new Database(':memory:');
    return { db: new Kysely<StateTables>({ dialect: new SqliteDialect({ database }) }), dialect: SQLITE_STATE_DIALECT };
  } catch (cause) {
    throw openError(location, url, cause);
  }
}

function openSqliteFile(file: string): Database.Database {
  mkdirSync(dirname(file), { recursive: true });
  const database = new Database(file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  // WAL lets `ferry status` and `ferry logs` read while a run writes.
  database.pragma('journal_mode = WAL');
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  return database;
}

function openError(location: StateLocation, url: string, cause: unknown): ConnectionError {
  const detail = cause instanceof Error ? `: ${redact(cause.message)}` : '';
  if (location.kind === 'postgres') {
    return new ConnectionError(`cannot open the Postgres state store ${redact(url)}${detail}`, {
      connection: 'state',
      hint: 'check that the server is reachable, the database exists and the user may create tables (or point `state:` in ferry.yml elsewhere)',
      cause,
    });
  }
  const where = location.kind === 'sqlite' ? location.file : 'in memory';
  return new ConnectionError(`cannot open the SQLite state store ${where}${detail}`, {
    connection: 'state',
    hint: 'check that the folder is writable and the file is a SQLite database (or point `state:` in ferry.yml elsewhere)',
    cause,
  });
}
