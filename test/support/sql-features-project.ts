import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connectorSchemas, loadProject, openStateStore, runSync, type RunResult } from '../../src/index.js';
import type { StateStore } from '../../src/state/state-store.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { withDuckDb } from './with-duckdb.js';

/** An int64 that a float cannot hold (2^53 + 1). */
export const BIG = '9007199254740993';

/**
 * A project with real Postgres (`app`, schema raw), SQLite (`shop`), DuckDB
 * (`lake`) and files (`drop`) connections and a little data in each, for the
 * filter, watermark and hook tests. Each test file gets its own database and folder.
 */
export interface SqlFeaturesProject {
  readonly pg: TestDatabase;
  readonly dir: string;
  writeSync(name: string, text: string): Promise<void>;
  /** Load the project from disk and run one sync; close the returned state store. */
  run(sync: string, extra?: { dryRun?: boolean }): Promise<{ result: RunResult; state: StateStore }>;
  /** Like `run`, but closes the state store itself: for checks on the run's result alone. */
  runResult(sync: string, extra?: { dryRun?: boolean }): Promise<RunResult>;
  /** Rows of a query on lake.duckdb. */
  duck(sql: string): Promise<unknown[][]>;
  drop(): Promise<void>;
}

export async function openSqlFeaturesProject(prefix: string): Promise<SqlFeaturesProject> {
  const pg = await createTestDatabase(prefix);
  await pg.query(`CREATE SCHEMA src; CREATE SCHEMA raw;
    CREATE TABLE src.orders (id bigint PRIMARY KEY, status text, amount numeric(30,10), big bigint, updated_at timestamptz(6));
    INSERT INTO src.orders VALUES
      (1, 'paid', 10.0000000001, 1, '2024-01-01 00:00:00.000001+00'),
      (2, 'test', 50, 2, '2024-02-01 00:00:00+00'),
      (3, NULL, 10, ${BIG}, '2024-03-01 00:00:00+00'),
      (4, 'paid', 10, 9007199254740992, '2024-04-01 00:00:00+00'),
      (5, 'shipped', 99.5, 5, NULL),
      (6, 'o''brien', 7, 6, '2024-06-01 00:00:00.000002+00');
    CREATE TABLE src.events (id int PRIMARY KEY, updated_at timestamptz(6));
    INSERT INTO src.events VALUES (1, '2024-01-01 00:00:00+00'), (2, '2024-06-01 00:00:00.000002+00'), (3, NULL);`);
  const dir = await mkdtemp(join(tmpdir(), `ferry-${prefix}-`));
  const lite = new Database(join(dir, 'shop.db'));
  lite.exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, amount DECIMAL(20,4), updated_at TIMESTAMP);
    INSERT INTO orders VALUES (1, 'paid', '1.5000', '2024-01-01 00:00:00'), (2, NULL, '2.2500', '2024-01-02 00:00:00'),
      (3, 'test', '3.0000', '2024-01-03T00:00:00.5'), (4, 'paid', '4.0000', '2024-01-04 00:00:00');`);
  lite.close();
  await mkdir(join(dir, 'files'));
  await mkdir(join(dir, 'syncs'));
  await writeFile(join(dir, 'files', 'events.csv'), `id,amount,big,at\n1,0.1,${BIG},2024-01-01 00:00:00.000001\n2,0.10000000000000001,9007199254740992,2024-01-01 00:00:00\n3,,7,2024-01-02 00:00:00\n`);
  await writeFile(join(dir, 'ferry.yml'), `name: ${prefix}
state: sqlite:.ferry/state.db
connections:
  app: { type: postgres, url: "${pg.url}", schema: raw }
  shop: { type: sqlite, path: shop.db }
  lake: { type: duckdb, path: lake.duckdb }
  drop: { type: files, path: files, csv: { column_types: { amount: decimal, big: int64, at: timestamp } } }
`);
  const run: SqlFeaturesProject['run'] = async (sync, extra = {}) => {
    const project = await loadProject(dir, { connectorSchemas: connectorSchemas() });
    const state = await openStateStore(project.state, project.dir);
    const result = await runSync({ project, state, sync, retryDelayMs: 1, ...extra });
    return { result, state };
  };
  return {
    pg,
    dir,
    writeSync: (name, text) => writeFile(join(dir, 'syncs', `${name}.yml`), text),
    run,
    async runResult(sync, extra) {
      const { result, state } = await run(sync, extra);
      await state.close();
      return result;
    },
    duck: (sql) => withDuckDb(join(dir, 'lake.duckdb'), async (conn) => (await conn.runAndReadAll(sql)).getRows() as unknown[][]),
    async drop() {
      await pg.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
