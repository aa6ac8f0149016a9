import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { useSqlFeaturesProject } from './support/use-sql-features-project.js';

/** After-hooks on real Postgres, SQLite and DuckDB destinations: their effects, order and records. */

const project = useSqlFeaturesProject('hooks');
const { writeSync, run, runResult, duck } = project;

describe('hooks', () => {
  it('run in order after the stream, then after the sync; skipped by run_on; output and counts recorded (DuckDB)', async () => {
    await writeSync('hooked', `source: shop
destination: lake
hooks:
  after:
    - "insert into main.hook_log select 'sync', count(*) from main.h_orders"
    - { sql: "insert into main.hook_log values ('sync failed', 0)", run_on: failure }
    - { sql: "select what, n from main.hook_log order by what", run_on: always }
streams:
  orders:
    target: main.h_orders
    hooks:
      after:
        - "create table if not exists main.hook_log (what varchar, n bigint)"
        - "insert into main.hook_log select 'stream', count(*) from main.h_orders"
        - { sql: "insert into main.hook_log values ('stream failed', 0)", run_on: failure }
`);
    const dry = await run('hooked', { dryRun: true });
    const dryHooks = await dry.state.listRunHooks(dry.result.runId);
    await dry.state.close();
    expect(dryHooks).toEqual([]);
    expect(dry.result.plan?.[0]?.hooks.map((h) => h.runOn)).toEqual(['success', 'success', 'failure']);

    const { result, state } = await run('hooked');
    const hooks = await state.listRunHooks(result.runId);
    const log = (await state.readLog(result.runId)).map((l) => l.message);
    await state.close();
    expect(result.status).toBe('success');
    expect(await duck('SELECT what, n FROM main.hook_log ORDER BY what')).toEqual([['stream', 4n], ['sync', 4n]]);
    expect(hooks.map((h) => [h.seq, h.stream, h.runOn, h.status, h.rowsAffected])).toEqual([
      [1, 'orders', 'success', 'success', null],
      [2, 'orders', 'success', 'success', 1],
      [3, 'orders', 'failure', 'skipped', null],
      [4, null, 'success', 'success', 1],
      [5, null, 'failure', 'skipped', null],
      [6, null, 'always', 'success', null],
    ]);
    expect(hooks[2]?.error).toBe('run_on failure and the stream succeeded');
    expect(hooks[5]?.output).toEqual({ columns: ['what', 'n'], rows: [['stream', '4'], ['sync', '4']], truncated: false });
    expect(log).toContain('sync hook 3 (always) done: 2 row(s) returned');
  });

  it('a failing success hook fails the run after the data committed; later hooks do not run; failure hooks do (Postgres)', async () => {
    await writeSync('badhook', `source: shop
destination: app
hooks:
  after:
    - { sql: "create table raw.sync_failed (x int)", run_on: failure }
    - { sql: "select * from raw.no_such_table", run_on: failure }
    - { sql: "create table raw.sync_always (x int)", run_on: always }
    - "create table raw.sync_success (x int)"
streams:
  orders:
    target: raw.h_orders
    hooks:
      after:
        - "insert into raw.no_such_table values (1)"
        - "create table raw.after_fail (x int)"
`);
    const { result, state } = await run('badhook');
    const hooks = await state.listRunHooks(result.runId);
    const streams = await state.listRunStreams(result.runId);
    await state.close();
    expect(result.status).toBe('failed');
    expect(result.exitCode).toBe(1);
    expect(result.error).toContain('orders: stream hook 1 failed');
    expect(result.error).toContain('"raw.no_such_table" does not exist');
    expect(result.error).not.toContain('sync hook');
    expect(streams[0]?.status).toBe('failed');
    expect(streams[0]?.error).toContain("(the stream's data was committed)");
    expect((await project.pg.query('SELECT count(*)::int AS n FROM raw.h_orders')).rows).toEqual([{ n: 4 }]);
    const tables = await project.pg.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' AND table_name IN ('after_fail', 'sync_failed', 'sync_always', 'sync_success') ORDER BY 1`);
    expect(tables.rows.map((r) => r.table_name)).toEqual(['sync_always', 'sync_failed']);
    expect(hooks.map((h) => [h.seq, h.stream, h.status])).toEqual([
      [1, 'orders', 'failed'],
      [2, 'orders', 'skipped'],
      [3, null, 'success'],
      [4, null, 'failed'],
      [5, null, 'success'],
      [6, null, 'skipped'],
    ]);
    expect(hooks[0]?.error).toContain('no_such_table');
    expect(hooks[1]?.error).toMatch(/^not run: stream hook 1 failed/);
    expect(hooks[3]?.error).toContain('no_such_table');
  });

  it('a failing failure hook after a failed stream is recorded and does not mask the original error', async () => {
    await writeSync('failing', `source: app
destination: app
streams:
  broken:
    sql: "select id, 1 / (id - id) as boom from src.events"
    target: raw.broken
    hooks:
      after:
        - "create table raw.never_created (x int)"
        - { sql: "insert into raw.missing_audit values ('failed')", run_on: failure }
        - { sql: "create table raw.cleanup_ran (x int)", run_on: always }
`);
    const { result, state } = await run('failing');
    const hooks = await state.listRunHooks(result.runId);
    await state.close();
    expect(result.status).toBe('failed');
    expect(result.error).toContain('division by zero');
    expect(result.error).not.toContain('missing_audit');
    expect(hooks.map((h) => [h.runOn, h.status])).toEqual([['success', 'skipped'], ['failure', 'failed'], ['always', 'success']]);
    expect(hooks[1]?.error).toContain('"raw.missing_audit" does not exist');
    const tables = await project.pg.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' AND table_name IN ('never_created', 'cleanup_ran', 'broken')`);
    expect(tables.rows).toEqual([{ table_name: 'cleanup_ran' }]);
  });

  it('SQLite destination: hooks see the committed rows; a destination that cannot run SQL refuses hooks at their line', async () => {
    await writeSync('tolite', `source: drop
destination: shop
streams:
  events:
    path: events.csv
    target: copied_events
    hooks:
      after:
        - "create table if not exists copy_audit (n integer)"
        - "insert into copy_audit select count(*) from copied_events"
`);
    const { result, state } = await run('tolite');
    const hooks = await state.listRunHooks(result.runId);
    await state.close();
    expect(result.error).toBeNull();
    expect(hooks.map((h) => h.rowsAffected)).toEqual([0, 1]);
    const lite = new Database(join(project.dir, 'shop.db'), { readonly: true });
    expect(lite.prepare('SELECT n FROM copy_audit').all()).toEqual([{ n: 3 }]);
    lite.close();

    await writeSync('tofiles', `source: shop
destination: drop
streams:
  orders:
    target: orders.csv
    hooks:
      after: ["select 1"]
`);
    const refused = await runResult('tofiles');
    await rm(join(project.dir, 'syncs', 'tofiles.yml'));
    expect(refused.exitCode).toBe(2);
    expect(refused.error).toContain('syncs/tofiles.yml:7:15');
    expect(refused.error).toContain('hooks need a SQL destination; "drop" cannot run SQL');
  });
});
