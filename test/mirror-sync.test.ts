import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorSchemas } from '../src/connectors/connector-schemas.js';
import { loadProject } from '../src/config/load-project.js';
import { rejection, writeProject } from '../src/config/test-project.js';
import { ConfigError } from '../src/core/errors.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { runProjectSync } from './support/run-project-sync.js';

/**
 * `write: mirror` and `metadata_columns` through real project files and the
 * engine: Postgres -> Postgres (same database, another schema).
 */

let db: TestDatabase;
const dirs: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase('mirror');
  await db.query('CREATE TABLE public.orders (id int PRIMARY KEY, tenant int NOT NULL, amount numeric(12,2))');
  await db.query('CREATE TABLE public.other (id int PRIMARY KEY, tenant int NOT NULL, amount numeric(12,2))');
});
afterAll(async () => {
  await db.drop();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

function ferryYml(): string {
  return `name: m
state: sqlite:state.db
connections:
  app:
    type: postgres
    url: ${db.url}
  wh:
    type: postgres
    url: ${db.url}
    schema: wh_${db.name.slice(-8)}
  out:
    type: files
    path: out
`;
}

async function project(sync: string): Promise<string> {
  const dir = await writeProject({ 'ferry.yml': ferryYml(), 'syncs/s.yml': sync });
  dirs.push(dir);
  return dir;
}

const run = (dir: string) => runProjectSync(dir);

const schema = (): string => `wh_${db.name.slice(-8)}`;

async function target(table: string, columns = 'id, tenant, amount'): Promise<unknown[][]> {
  const result = await db.query({ text: `SELECT ${columns} FROM ${schema()}.${table} ORDER BY id`, rowMode: 'array' } as never);
  return result.rows as unknown[][];
}

describe('write: mirror through the engine', () => {
  it('deletes what the source no longer has, keeps pass-through, and refuses an empty read', async () => {
    await db.query("INSERT INTO public.orders VALUES (1, 7, '1.00'), (2, 7, '2.00'), (3, 8, '3.00')");
    const dir = await project('source: app\ndestination: wh\nstreams:\n  public.orders:\n    write: mirror\n');
    const first = await run(dir);
    expect(first.result.status).toBe('success');
    expect(first.events.find((e) => e.type === 'stream_start')).toMatchObject({ write: 'mirror', passThrough: true });
    expect(await target('orders')).toEqual([[1, 7, '1.00'], [2, 7, '2.00'], [3, 8, '3.00']]);

    await db.query("DELETE FROM public.orders WHERE id = 2; UPDATE public.orders SET amount = '9.99' WHERE id = 3; INSERT INTO public.orders VALUES (4, 8, '4.00')");
    const second = await run(dir);
    expect(second.result.status).toBe('success');
    expect(await target('orders')).toEqual([[1, 7, '1.00'], [3, 8, '9.99'], [4, 8, '4.00']]);
    expect(second.events.some((e) => e.type === 'log' && e.message.includes('mirror: 1 row(s) deleted'))).toBe(true);

    await db.query('DELETE FROM public.orders');
    const empty = await run(dir);
    expect(empty.result.status).toBe('failed');
    expect(empty.result.streams[0]?.error).toContain('the source returned no rows');
    expect(empty.result.streams[0]?.error).toContain('mirror_allow_empty');
    expect(await target('orders')).toEqual([[1, 7, '1.00'], [3, 8, '9.99'], [4, 8, '4.00']]);
  });

  it('soft-deletes within mirror_scope and stamps metadata columns with the run', async () => {
    await db.query("INSERT INTO public.other VALUES (1, 7, '1.00'), (2, 7, '2.00'), (3, 8, '3.00')");
    const sync = `source: app
destination: wh
streams:
  public.other:
    write: mirror
    where: tenant = 7
    mirror_delete: soft
    mirror_scope: tenant = 7
    metadata_columns: [synced_at, run_id]
`;
    const dir = await project(sync);
    const first = await run(dir);
    expect(first.result.status).toBe('success');
    expect(first.events.find((e) => e.type === 'stream_start')).toMatchObject({ passThrough: false });
    // A tenant-8 row the destination got elsewhere: outside the scope, never deleted.
    await db.query(`INSERT INTO ${schema()}.other (id, tenant, amount) VALUES (9, 8, '9.00')`);
    await db.query('DELETE FROM public.other WHERE id = 2');
    const second = await run(dir);
    expect(second.result.status).toBe('success');
    const rows = await target('other', `id, tenant, amount, _ferry_run_id, _ferry_deleted_at IS NOT NULL, _ferry_deleted_at = _ferry_synced_at`);
    expect(rows).toEqual([
      [1, 7, '1.00', second.result.runId, false, null],
      [2, 7, '2.00', first.result.runId, true, false],
      [9, 8, '9.00', null, false, null],
    ]);
    const stamps = await db.query<{ deleted: string; synced: string }>(
      `SELECT (SELECT _ferry_deleted_at FROM ${schema()}.other WHERE id = 2)::text AS deleted, (SELECT _ferry_synced_at FROM ${schema()}.other WHERE id = 1)::text AS synced`,
    );
    // Both are the second run's start time.
    expect(stamps.rows[0]?.deleted).toBe(stamps.rows[0]?.synced);

    await db.query("INSERT INTO public.other VALUES (2, 7, '2.50')");
    const third = await run(dir);
    expect(third.result.status).toBe('success');
    expect(await target('other', 'id, amount, _ferry_deleted_at, _ferry_run_id')).toEqual([
      [1, '1.00', null, third.result.runId],
      [2, '2.50', null, third.result.runId],
      [9, '9.00', null, null],
    ]);
  });

  it('refuses mirror with an incremental read, without a key, into files, mirror settings without mirror, and a source column named like a Ferry column', async () => {
    const incremental = await project('source: app\ndestination: wh\nstreams:\n  public.orders:\n    mode: incremental\n    cursor: id\n    write: mirror\n');
    const error = (await rejection(loadProject(incremental, { connectorSchemas: connectorSchemas() }))) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/syncs\/s\.yml:7:12 .*write: mirror needs mode: full_refresh/);

    const stray = await project('source: app\ndestination: wh\nstreams:\n  public.orders:\n    mirror_scope: tenant = 7\n');
    const strayError = (await rejection(loadProject(stray, { connectorSchemas: connectorSchemas() }))) as ConfigError;
    expect(strayError.message).toMatch(/syncs\/s\.yml:5:5 .*mirror_scope applies only to write: mirror/);

    const keyless = await project('source: app\ndestination: wh\nstreams:\n  q:\n    sql: select id, amount from public.orders\n    write: mirror\n');
    const keylessRun = await run(keyless);
    expect(keylessRun.result.status).toBe('failed');
    expect(keylessRun.result.error).toContain('write: mirror needs a primary key');

    const clash = await project('source: app\ndestination: wh\nstreams:\n  q:\n    sql: select id, 1 as _ferry_run_id from public.orders\n    metadata_columns: [run_id]\n');
    const clashRun = await run(clash);
    expect(clashRun.result.status).toBe('failed');
    expect(clashRun.result.error).toContain('the stream has a column "_ferry_run_id", which Ferry adds itself here');

    const files = await project('source: app\ndestination: out\nstreams:\n  public.orders:\n    write: mirror\n');
    const { result } = await run(files);
    expect(result.status).toBe('failed');
    expect(result.error).toContain('the destination cannot mirror');
    expect(result.error).toContain('supported: replace, append, truncate');
  });
});
