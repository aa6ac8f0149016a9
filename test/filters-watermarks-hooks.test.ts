import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
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
    filters: [{ column: amount, op: ne, value: "0.10000000000000001" }]
`);
    const dry = await run('fromduck', { dryRun: true });
    await dry.state.close();
    expect(dry.result.error).toBeNull();
    expect(dry.result.plan?.[0]?.sql).toContain(`("at" > '2024-02-15T00:00:00Z'::TIMESTAMPTZ - INTERVAL 60 DAY) AND ("amount" <> $1 OR "amount" IS NULL) -- $1 = 0.10000000000000001`);
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
