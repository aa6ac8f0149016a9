import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProjectDir } from './support/make-project-dir.js';
import { connectorSchemas, loadProject, openStateStore, runSync, type RunResult } from '../src/index.js';
import type { StateStore } from '../src/state/state-store.js';
import { createMysqlTestDatabase, type MysqlTestDatabase } from './support/mysql.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';

/** Filters, watermarks and hooks with MariaDB as source and destination. */

let my: MysqlTestDatabase;
let pg: TestDatabase;
let dir: string;

beforeAll(async () => {
  my = await createMysqlTestDatabase('feat');
  pg = await createTestDatabase('myfeat');
  await my.query(`CREATE TABLE orders (id BIGINT UNSIGNED PRIMARY KEY, status VARCHAR(20) NULL, amount DECIMAL(65,30) NOT NULL, updated DATETIME(6) NULL)`);
  await my.query(`INSERT INTO orders VALUES
    (18446744073709551615, 'paid', '0.000000000000000000000000000001', '2024-01-01 00:00:00.000001'),
    (2, NULL, '0', '2024-01-02 00:00:00'),
    (3, 'it''s \\\\ odd', '5', '2024-01-03 00:00:00'),
    (4, 'test', '7', NULL)`);
  await pg.query(`CREATE TABLE seen (at timestamp(6)); INSERT INTO seen VALUES ('2024-01-01 00:00:00.000001')`);
  dir = await makeProjectDir('ferry-myfeat-');
  await writeFile(join(dir, 'ferry.yml'), `name: myfeat
connections:
  maria: { type: mariadb, url: "${my.url}" }
  app: { type: postgres, url: "${pg.url}" }
`);
});

afterAll(async () => {
  await my.drop();
  await pg.drop();
  await rm(dir, { recursive: true, force: true });
});

async function run(sync: string, text: string, dryRun = false): Promise<{ result: RunResult; state: StateStore }> {
  await writeFile(join(dir, 'syncs', `${sync}.yml`), text);
  const project = await loadProject(dir, { connectorSchemas: connectorSchemas() });
  const state = await openStateStore(project.state, project.dir);
  return { result: await runSync({ project, state, sync, retryDelayMs: 1, dryRun }), state };
}

describe('MariaDB', () => {
  it('source: filters compare DECIMAL(65,30), unsigned bigint and escaped text exactly; NULL kept by ne', async () => {
    const text = `source: maria
destination: app
streams:
  ${my.name}.orders:
    target: public.my_orders
    filters:
      - { column: amount, op: gt, value: "0" }
      - { column: status, op: ne, value: test }
  odd:
    sql: select * from orders
    target: public.my_odd
    filters: [{ column: status, op: in, value: ["it's \\\\ odd", null] }]
  big:
    sql: select * from orders
    target: public.my_big
    filters: [{ column: id, op: eq, value: 18446744073709551615 }]
`;
    const dry = await run('myfilters', text, true);
    await dry.state.close();
    expect(dry.result.plan?.[0]?.sql).toContain("WHERE `amount` > 0 AND (`status` <> 'test' OR `status` IS NULL)");
    const { result, state } = await run('myfilters', text);
    await state.close();
    expect(result.error).toBeNull();
    expect((await pg.query('SELECT id::text, amount::text FROM public.my_orders ORDER BY id')).rows).toEqual([
      { id: '18446744073709551615', amount: '0.000000000000000000000000000001' },
      { id: '3', amount: '5.000000000000000000000000000000' },
    ]);
    expect((await pg.query('SELECT id::text, status FROM public.my_odd ORDER BY id')).rows).toEqual([
      { id: '2', status: null },
      { id: '3', status: "it's \\ odd" },
    ]);
    expect((await pg.query('SELECT id::text FROM public.my_big')).rows).toEqual([{ id: '18446744073709551615' }]);
  });

  it('source: a Postgres watermark becomes a MySQL datetime literal with microseconds', async () => {
    const { result, state } = await run('mymarks', `source: maria
destination: app
watermarks:
  since: { connection: app, sql: "select max(at) from seen" }
streams:
  recent:
    sql: "select id, updated from orders where updated > {since}"
    target: public.my_recent
`);
    const marks = await state.listRunWatermarks(result.runId);
    await state.close();
    expect(result.error).toBeNull();
    expect(marks.map((m) => [m.value, m.kind, m.literal])).toEqual([['2024-01-01T00:00:00.000001', 'timestamp', "'2024-01-01 00:00:00.000001'"]]);
    expect((await pg.query('SELECT id::text FROM public.my_recent ORDER BY id')).rows).toEqual([{ id: '2' }, { id: '3' }]);
  });

  it('destination: hooks run in order, record counts and rows; a failing hook fails the run after the commit', async () => {
    const { result, state } = await run('myhooks', `source: app
destination: maria
streams:
  public.seen:
    target: ${my.name}.seen_copy
    hooks:
      after:
        - "create table if not exists hook_audit (n int)"
        - "insert into hook_audit select count(*) from seen_copy"
        - "select n from hook_audit"
        - "insert into no_such_table values (1)"
        - { sql: "insert into hook_audit values (99)", run_on: always }
`);
    const hooks = await state.listRunHooks(result.runId);
    await state.close();
    expect(result.status).toBe('failed');
    expect(result.error).toContain('stream hook 4 failed');
    expect(await my.query('SELECT CAST(count(*) AS CHAR) AS n FROM seen_copy')).toEqual([{ n: '1' }]);
    expect(await my.query('SELECT n FROM hook_audit')).toEqual([{ n: 1 }]);
    expect(hooks.map((h) => [h.status, h.rowsAffected])).toEqual([['success', 0], ['success', 1], ['success', null], ['failed', null], ['skipped', null]]);
    expect(hooks[2]?.output).toEqual({ columns: ['n'], rows: [['1']], truncated: false });
  });
});
