import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The machine's Postgres (trust auth); override with FERRY_TEST_PG. */
export const PG_BASE = process.env.FERRY_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  drop(): Promise<void>;
}

/** A fresh database for one test file, dropped (with its connections) by `drop()`. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const name = `ferry_t_${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = `${PG_BASE}/${name}`;
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // DROP DATABASE ... WITH (FORCE) may terminate a client the pool is still closing.
  pool.on('error', () => undefined);
  return {
    name,
    url,
    query: (sql, params) => pool.query(sql, params),
    async drop() {
      await pool.end();
      const client = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
