import { sql, type Kysely } from 'kysely';
import type { StateDialect } from './state-dialect.js';

/**
 * Run `body` in a transaction on one connection that other writers cannot
 * interleave with: SQLite opens it with `BEGIN IMMEDIATE` (the file's write
 * lock, waiting up to busy_timeout), Postgres takes a transaction-scoped
 * advisory lock on `key`. Rolls back when `body` throws.
 */
export async function inWriteTransaction<DB, T>(
  db: Kysely<DB>,
  dialect: StateDialect,
  key: string,
  body: (tx: Kysely<DB>) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql.raw(dialect.beginWrite).execute(conn);
    try {
      if (dialect.serialize) await dialect.serialize(key).execute(conn);
      const result = await body(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (error) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw error;
    }
  });
}
