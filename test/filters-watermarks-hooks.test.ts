import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorSchemas, loadProject, openStateStore, runSync, type RunResult } from '../src/index.js';
import { ConfigErrors } from '../src/config/config-errors.js';
import type { StateStore } from '../src/state/state-store.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';

/**
 * Filters, watermarks and hooks end to end on real Postgres, SQLite, DuckDB and
 * files: the rows that land, the values recorded on the run, the hooks' effects.
 */

let pg: TestDatabase;
let dir: string;

const BIG = '9007199254740993';

beforeAll(async () => {
  pg = await createTestDatabase('fwh');
  await pg.query(`CREATE SCHEMA src; CREATE SCHEMA raw;
    CREATE TABLE src.orders (id bigint PRIMARY KEY, status text, amount numeric(30,10), big bigint, updated_at timestamptz(6));
    INSERT INTO src.orders VALUES
      (1, 'paid', 10.0000000001, 1, '2024-01-01 00:00:00.000001+00'),
      (2, 'test', 50, 2, '2024-02-01 00:00:00+00'),
      (3, NULL, 10, ${BIG}, '2024-03-01 00:00:00+00'),
      (4, 'paid', 10, 9007199254740992, '2024-04-01 00:00:00+00'),
      (5, 'shipped', 99.5, 5, NULL),
      (6, 'o''brien', 7, 6, '2024-06-01 00:00:00.000002+00');`);
  dir = await mkdtemp(join(tmpdir(), 'ferry-fwh-'));
  const lite = new Database(join(dir, 'shop.db'));
  lite.exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, amount DECIMAL(20,4), updated_at TIMESTAMP);
    INSERT INTO orders VALUES (1, 'paid', '1.5000', '2024-01-01 00:00:00'), (2, NULL, '2.2500', '2024-01-02 00:00:00'),
      (3, 'test', '3.0000', '2024-01-03T00:00:00.5'), (4, 'paid', '4.0000', '2024-01-04 00:00:00');`);
  lite.close();
  await mkdir(join(dir, 'files'));
  await writeFile(join(dir, 'files', 'events.csv'), `id,amount,big,at\n1,0.1,${BIG},2024-01-01 00:00:00.000001\n2,0.10000000000000001,9007199254740992,2024-01-01 00:00:00\n3,,7,2024-01-02 00:00:00\n`);
  await writeFile(join(dir, 'ferry.yml'), `name: fwh
state: sqlite:.ferry/state.db
connections:
  app: { type: postgres, url: "${pg.url}", schema: raw }
  shop: { type: sqlite, path: shop.db }
  lake: { type: duckdb, path: lake.duckdb }
  drop: { type: files, path: files, csv: { column_types: { amount: decimal, big: int64, at: timestamp } } }
`);
});

afterAll(async () => {
  await pg.drop();
  await rm(dir, { recursive: true, force: true });
});

async function writeSync(name: string, text: string): Promise<void> {
  await mkdir(join(dir, 'syncs'), { recursive: true });
  await writeFile(join(dir, 'syncs', `${name}.yml`), text);
}

async function run(sync: string, extra: { dryRun?: boolean } = {}): Promise<{ result: RunResult; state: StateStore }> {
  const project = await loadProject(dir, { connectorSchemas: connectorSchemas() });
  const state = await openStateStore(project.state, project.dir);
  const result = await runSync({ project, state, sync, retryDelayMs: 1, ...extra });
  return { result, state };
}

async function duck<T = unknown[]>(sql: string): Promise<T[]> {
  const instance = await DuckDBInstance.create(join(dir, 'lake.duckdb'));
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRows() as T[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('row filters', () => {
  it('Postgres source: typed literals select exactly the matching rows (NULL kept by ne, int64 and decimals exact)', async () => {
    await writeSync('pgfilters', `source: app
destination: lake
streams:
  src.orders:
    target: main.pg_orders
    filters:
      - { column: status, op: ne, value: test }
      - { column: amount, op: gte, value: 10 }
      - { column: big, op: in, value: [1, ${BIG}, 5] }
  exact:
    sql: select * from src.orders
    target: main.pg_exact
    filters:
      - { column: amount, op: gt, value: 10 }
      - { column: amount, op: lt, value: 10.00000000011 }
  kept_nulls:
    sql: select * from src.orders
    target: main.pg_nulls
    filters:
      - { column: updated_at, op: eq, value: null }
  quoted:
    sql: select * from src.orders
    target: main.pg_quoted
    filters:
      - { column: status, op: eq, value: "o'brien" }
      - { column: updated_at, op: gt, value: "2024-06-01T00:00:00.000001Z" }
`);
    const dry = await run('pgfilters', { dryRun: true });
    await dry.state.close();
    const sql = dry.result.plan?.find((p) => p.stream === 'src.orders')?.sql ?? '';
    expect(sql).toContain(`("status" <> 'test' OR "status" IS NULL)`);
    expect(sql).toContain(`"amount" >= '10'::numeric`);
    expect(sql).toContain(`"big" IN ('1'::bigint, '${BIG}'::bigint, '5'::bigint)`);
    expect(dry.result.plan?.find((p) => p.stream === 'src.orders')?.rows).toBe(3);

    const { result, state } = await run('pgfilters');
    await state.close();
    expect(result.error).toBeNull();
    expect(await duck('SELECT id, status, big FROM main.pg_orders ORDER BY id')).toEqual([
      [1n, 'paid', 1n],
      [3n, null, BigInt(BIG)],
      [5n, 'shipped', 5n],
    ]);
    expect(await duck('SELECT id FROM main.pg_nulls')).toEqual([[5n]]);
    expect(await duck('SELECT id, CAST(amount AS VARCHAR) FROM main.pg_exact')).toEqual([[1n, '10.0000000001']]);
    expect(await duck('SELECT id FROM main.pg_quoted')).toEqual([[6n]]);
  });

  it('SQLite source: bound parameters; eq null, not_in and decimal/timestamp comparisons', async () => {
    await writeSync('litefilters', `source: shop
destination: app
streams:
  orders:
    target: raw.lite_a
    filters:
      - { column: status, op: not_in, value: [test] }
      - { column: amount, op: gt, value: "1.5" }
  b:
    sql: select * from orders
    target: raw.lite_b
    filters:
      - { column: status, op: in, value: [test, null] }
      - { column: updated_at, op: gte, value: "2024-01-02 00:00:00" }
`);
    const dry = await run('litefilters', { dryRun: true });
    await dry.state.close();
    expect(dry.result.plan?.[0]?.sql).toContain('("status" NOT IN (?) OR "status" IS NULL) AND CAST("amount" AS NUMERIC) > CAST(? AS NUMERIC) -- ? = "test", "1.5"');
    const { result, state } = await run('litefilters');
    await state.close();
    expect(result.error).toBeNull();
    expect((await pg.query('SELECT id, amount::text FROM raw.lite_a ORDER BY id')).rows).toEqual([
      { id: '2', amount: '2.2500' },
      { id: '4', amount: '4.0000' },
    ]);
    expect((await pg.query('SELECT id FROM raw.lite_b ORDER BY id')).rows).toEqual([{ id: '2' }, { id: '3' }]);
  });

  it('files: exact comparisons of decimals, int64 and microsecond timestamps while reading', async () => {
    await writeSync('filefilters', `source: drop
destination: lake
streams:
  events:
    path: events.csv
    target: main.file_events
    filters:
      - { column: amount, op: gt, value: "0.1" }
  events2:
    path: events.csv
    target: main.file_events2
    filters:
      - { column: big, op: eq, value: ${BIG} }
  events3:
    path: events.csv
    target: main.file_events3
    filters:
      - { column: at, op: lt, value: "2024-01-01 00:00:00.000001" }
  events4:
    path: events.csv
    target: main.file_events4
    filters:
      - { column: amount, op: ne, value: "0.1" }
`);
    const { result, state } = await run('filefilters');
    await state.close();
    expect(result.error).toBeNull();
    expect(await duck('SELECT id FROM main.file_events')).toEqual([[2n]]);
    expect(await duck('SELECT id FROM main.file_events2')).toEqual([[1n]]);
    expect(await duck('SELECT id FROM main.file_events3')).toEqual([[2n]]);
    expect(await duck('SELECT id FROM main.file_events4 ORDER BY id')).toEqual([[2n], [3n]]);
  });

  it('an unknown column or a value of the wrong type is a config error at the filter', async () => {
    await writeSync('badfilter', `source: app
destination: lake
streams:
  src.orders:
    target: main.never
    filters:
      - { column: status, op: eq, value: paid }
      - { column: stauts, op: eq, value: paid }
`);
    const { result, state } = await run('badfilter');
    await state.close();
    expect(result.status).toBe('failed');
    expect(result.exitCode).toBe(2);
    expect(result.error).toContain('syncs/badfilter.yml:8:19');
    expect(result.error).toContain('filter on unknown column "stauts"; did you mean "status"?');
    await writeSync('badfilter', `source: app
destination: lake
streams:
  src.orders:
    target: main.never
    filters: [{ column: updated_at, op: gt, value: yesterday }]
`);
    const again = await run('badfilter');
    await again.state.close();
    expect(again.result.error).toContain('syncs/badfilter.yml:6:52');
    expect(again.result.error).toContain('filter value "yesterday" is not a valid timestamptz for column "updated_at"');
  });

  it('op and value shape are checked when the file is loaded', async () => {
    await writeSync('shapefilter', `source: app
destination: lake
streams:
  src.orders:
    filters:
      - { column: status, op: in, value: paid }
      - { column: amount, op: gt, value: null }
`);
    const error = await loadProject(dir, { connectorSchemas: connectorSchemas() }).catch((e: unknown) => e);
    await rm(join(dir, 'syncs', 'shapefilter.yml'));
    expect(error).toBeInstanceOf(ConfigErrors);
    const text = (error as Error).message;
    expect(text).toContain('syncs/shapefilter.yml:6:42 streams.src.orders.filters[0].value: op in needs a list of values');
    expect(text).toContain('syncs/shapefilter.yml:7:42 streams.src.orders.filters[1].value: op gt cannot compare with null');
  });
});

describe('watermarks', () => {
  it('first run uses the default (the target does not exist yet), later runs the resolver value; recorded on the run', async () => {
    await pg.query(`CREATE TABLE src.events (id int PRIMARY KEY, updated_at timestamptz(6));
      INSERT INTO src.events VALUES (1, '2024-01-01 00:00:00+00'), (2, '2024-06-01 00:00:00.000002+00'), (3, NULL);`);
    await writeSync('marks', `source: app
destination: app
watermarks:
  last: { sql: "select max(updated_at) from raw.wm_events", default: "1970-01-01" }
streams:
  recent:
    sql: "select id, updated_at from src.events where updated_at > {last} -- not {here}"
    target: raw.wm_events
    write: append
`);
    const first = await run('marks');
    const firstMarks = await first.state.listRunWatermarks(first.result.runId);
    await first.state.close();
    expect(first.result.error).toBeNull();
    expect(firstMarks).toMatchObject([{ name: 'last', stream: null, connection: 'app', value: '1970-01-01', origin: 'default', literal: "'1970-01-01'" }]);
    expect(firstMarks[0]?.error).toContain('wm_events" does not exist');
    expect((await pg.query('SELECT id FROM raw.wm_events ORDER BY id')).rows).toEqual([{ id: 1 }, { id: 2 }]);

    await pg.query(`INSERT INTO src.events VALUES (4, '2024-06-01 00:00:00.000002+00'), (5, '2024-06-01 00:00:00.000003+00')`);
    const dry = await run('marks', { dryRun: true });
    await dry.state.close();
    expect(dry.result.watermarks[0]?.value).toBe('2024-06-01T00:00:00.000002Z');
    expect(dry.result.plan?.[0]?.sql).toContain(`updated_at > '2024-06-01T00:00:00.000002Z'::timestamp with time zone -- not {here}`);

    const second = await run('marks');
    const marks = await second.state.listRunWatermarks(second.result.runId);
    await second.state.close();
    expect(marks).toEqual([
      expect.objectContaining({ name: 'last', value: '2024-06-01T00:00:00.000002Z', kind: 'timestamptz', origin: 'query', error: null, literal: "'2024-06-01T00:00:00.000002Z'::timestamp with time zone" }),
    ]);
    expect((await pg.query('SELECT id FROM raw.wm_events ORDER BY id')).rows).toEqual([{ id: 1 }, { id: 2 }, { id: 5 }]);
  });

  it('values are substituted as quoted literals of the source dialect, from any connection, never as SQL text', async () => {
    await writeSync('inject', `source: shop
destination: app
watermarks:
  evil: { connection: lake, sql: "select 'paid'' OR ''1''=''1'" }
streams:
  orders:
    target: raw.injected
    where: "status = {evil} or id = {first_id}"
    watermarks:
      first_id: { connection: lake, sql: "select min(id) from main.pg_orders" }
`);
    const { result, state } = await run('inject');
    const marks = await state.listRunWatermarks(result.runId);
    await state.close();
    expect(result.error).toBeNull();
    expect(marks.map((m) => [m.stream, m.name, m.value, m.kind, m.literal])).toEqual([
      [null, 'evil', "paid' OR '1'='1", 'string', "'paid'' OR ''1''=''1'"],
      ['orders', 'first_id', '1', 'int64', '1'],
    ]);
    expect((await pg.query('SELECT id FROM raw.injected ORDER BY id')).rows).toEqual([{ id: '1' }]);
  });

  it('DuckDB source: a watermark from Postgres becomes a typed DuckDB literal; filters are bound parameters', async () => {
    await writeSync('fromduck', `source: lake
destination: app
watermarks:
  since: { sql: "select '2024-02-15 00:00:00+00'::timestamptz" }
streams:
  main.file_events4:
    target: raw.from_duck
    where: '"at" > {since} - INTERVAL 60 DAY'
    filters: [{ column: big, op: ne, value: 9007199254740992 }, { column: amount, op: eq, value: "0.1" }]
`);
    const dry = await run('fromduck', { dryRun: true });
    await dry.state.close();
    expect(dry.result.error).toContain('column "amount" holds decimals as text in DuckDB');
    await writeSync('fromduck', (await readFile(join(dir, 'syncs', 'fromduck.yml'), 'utf8')).replace(', { column: amount, op: eq, value: "0.1" }', ''));
    const again = await run('fromduck', { dryRun: true });
    await again.state.close();
    expect(again.result.plan?.[0]?.sql).toContain(`("at" > '2024-02-15T00:00:00Z'::TIMESTAMPTZ - INTERVAL 60 DAY) AND ("big" <> $1 OR "big" IS NULL) -- $1 = 9007199254740992`);
    const { result, state } = await run('fromduck');
    await state.close();
    expect(result.error).toBeNull();
    expect((await pg.query('SELECT id FROM raw.from_duck ORDER BY id')).rows).toEqual([{ id: '3' }]);
  });

  it('no row and no default fails the run with the watermark named; an unknown {name} is a config error at its line', async () => {
    await writeSync('nodefault', `source: app
destination: app
streams:
  nothing:
    sql: "select * from src.events where id > {top}"
    target: raw.never
    watermarks:
      top: { sql: "select max(id) from src.events where false" }
`);
    const { result, state } = await run('nodefault');
    await state.close();
    expect(result.status).toBe('failed');
    expect(result.error).toContain('syncs/nodefault.yml:8:7');
    expect(result.error).toContain('watermark {top}: the resolver query on "app" returned no row or NULL and the watermark has no default');

    await writeSync('nodefault', `source: app
destination: app
watermarks:
  top: { sql: "select 1" }
streams:
  nothing:
    sql: "select * from src.events where id > {tpo} and note = '{not_one}'"
`);
    const error = await loadProject(dir, { connectorSchemas: connectorSchemas() }).catch((e: unknown) => e);
    await rm(join(dir, 'syncs', 'nodefault.yml'));
    expect((error as Error).message).toBe('syncs/nodefault.yml:7:10 streams.nothing.sql: unknown watermark {tpo}; did you mean "top"?: define it under `watermarks:` of the stream or the sync (defined: top)');
  });
});

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
    expect((await pg.query('SELECT count(*)::int AS n FROM raw.h_orders')).rows).toEqual([{ n: 4 }]);
    const tables = await pg.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' AND table_name IN ('after_fail', 'sync_failed', 'sync_always', 'sync_success') ORDER BY 1`);
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
    const tables = await pg.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' AND table_name IN ('never_created', 'cleanup_ran', 'broken')`);
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
    const lite = new Database(join(dir, 'shop.db'), { readonly: true });
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
    const refused = await run('tofiles');
    await refused.state.close();
    await rm(join(dir, 'syncs', 'tofiles.yml'));
    expect(refused.result.exitCode).toBe(2);
    expect(refused.result.error).toContain('syncs/tofiles.yml:7:15');
    expect(refused.result.error).toContain('hooks need a SQL destination; "drop" cannot run SQL');
  });
});
