import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProjectDir } from './support/make-project-dir.js';
import { prng } from './support/prng.js';
import { killedRun, runFerryKillable, timedCleanRun } from './support/run-ferry-killable.js';
import { mysqlConnector } from '../src/connectors/mysql/index.js';
import { postgresConnector } from '../src/connectors/postgres/index.js';
import type { Source } from '../src/core/connector.js';
import type { Row } from '../src/core/schema.js';
import { readRows } from './conformance/table-io.js';
import { createMysqlTestDatabase, type MysqlTestDatabase } from './support/mysql.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { createSrcEvents, insertNewEvents, updateEvery97th } from './support/src-events.js';

/**
 * Guarantees 1-3 on MySQL, where DDL commits by itself: `ferry run` from
 * Postgres into MariaDB is killed with SIGKILL at random moments while the
 * source changes; after a clean run every source row is in MariaDB exactly
 * once with its latest values (merge, incremental append, replace), and no
 * staging or moved-aside table is left.
 */
/** Each killed or clean run: the one sync of the test project, logging text to stderr. */
const RUN_K = ['run', 'k', '--log-format', 'text'];
const ROWS = 20_000;
const KILLS = 8;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let pg: TestDatabase;
let my: MysqlTestDatabase;
let dir: string;

const STREAMS = [
  ['merged', 'select id, payload, amount, updated_at from public.src_events', 'mode: incremental\n    cursor: updated_at\n    primary_key: [id]\n    write: merge'],
  ['appended', 'select id, payload, updated_at from public.src_events', 'mode: incremental\n    cursor: updated_at\n    primary_key: [id]\n    write: append'],
  ['replaced', 'select id, payload from public.src_events', 'write: replace'],
] as const;

beforeAll(async () => {
  pg = await createTestDatabase('killmy');
  my = await createMysqlTestDatabase('kill');
  await createSrcEvents(pg, ROWS);
  dir = await makeProjectDir('ferry-kill-mysql-');
  await writeFile(join(dir, 'ferry.yml'), `name: kill\nstate: sqlite:.ferry/state.db\ndefaults:\n  threads: 3\n  batch_size: 5000\nconnections:\n  pg:\n    type: postgres\n    url: ${pg.url}\n  my:\n    type: mysql\n    url: ${my.url}\n`);
  const streams = STREAMS.map(([name, sql, rest]) => `  ${name}:\n    sql: ${sql}\n    ${rest}\n    target: ${my.name}.${name}`);
  await writeFile(join(dir, 'syncs', 'k.yml'), ['source: pg', 'destination: my', 'streams:', ...streams, ''].join('\n'));
});

afterAll(async () => {
  await my?.drop();
  await pg?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function rowsOf(source: Source, target: { kind: 'table'; table: { schema: string; name: string } } | { kind: 'query'; sql: string }): Promise<Row[]> {
  try {
    return [...(await readRows(source, [target])).rows].sort((a, b) => Number(a[0]) - Number(b[0]));
  } finally {
    await source.close();
  }
}

describe('kill -9 at random points, into MySQL', () => {
  it('loses nothing, duplicates nothing, leaves no staging table', async () => {
    const random = prng(20261201);
    let nextId = ROWS + 1;
    const span = await timedCleanRun(dir, RUN_K);
    let kills = 0;
    for (let i = 0; i < KILLS; i++) {
      const inserts = 1 + Math.floor(random() * 2000);
      await insertNewEvents(pg, nextId, i + 1, inserts);
      nextId += inserts;
      if (await killedRun(dir, RUN_K, Math.floor(span * (0.1 + random() * 0.9)))) kills++;
    }
    console.log(`kill-recovery-mysql: ${kills} of ${KILLS} runs killed with SIGKILL (window ${Math.round(span)} ms)`);
    expect(kills).toBeGreaterThanOrEqual(KILLS / 3);
    await updateEvery97th(pg, ROWS);
    const final = await runFerryKillable(dir, RUN_K);
    expect(final.code, final.stderr).toBe(0);

    const pgSource = () => postgresConnector.createSource?.(postgresConnector.configSchema.parse({ url: pg.url }), { connection: 'pg', projectDir: dir, logger: quiet }) as Source;
    const mySource = () => mysqlConnector.createSource?.(mysqlConnector.configSchema.parse({ url: my.url }), { connection: 'my', projectDir: dir, logger: quiet }) as Source;
    const table = (name: string) => ({ kind: 'table' as const, table: { schema: my.name, name } });
    const source = await rowsOf(pgSource(), { kind: 'query', sql: 'select id, payload, amount, updated_at from src_events' });
    expect(source).toHaveLength(nextId - 1);
    expect(await rowsOf(mySource(), table('merged'))).toEqual(source);
    expect(await rowsOf(mySource(), table('replaced'))).toEqual(source.map((r) => r.slice(0, 2)));
    // append keeps history: rows updated after delivery arrive again; every inserted row is there exactly once.
    const appended = (await rowsOf(mySource(), table('appended'))).filter((r) => String(r[2]) < '2027');
    expect(appended.map((r) => r[0])).toEqual(source.map((r) => r[0]));
    const leftovers = await my.query<{ n: number }>("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '\\_ferry\\_%' AND TABLE_NAME <> '_ferry_checkpoints'");
    expect(Number(leftovers[0]?.n)).toBe(0);
  }, 600_000);
});
