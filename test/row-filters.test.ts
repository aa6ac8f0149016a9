import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectorSchemas, loadProject } from '../src/index.js';
import { ConfigErrors } from '../src/config/config-errors.js';
import { BIG } from './support/sql-features-project.js';
import { useSqlFeaturesProject } from './support/use-sql-features-project.js';

/** Row filters end to end on real Postgres, SQLite, DuckDB and files: exactly the rows that should land. */

const project = useSqlFeaturesProject('filters');
const { writeSync, run, runResult, duck } = project;

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
    const dry = await runResult('pgfilters', { dryRun: true });
    const sql = dry.plan?.find((p) => p.stream === 'src.orders')?.sql ?? '';
    expect(sql).toContain(`("status" <> 'test' OR "status" IS NULL)`);
    expect(sql).toContain(`"amount" >= '10'::numeric`);
    expect(sql).toContain(`"big" IN ('1'::bigint, '${BIG}'::bigint, '5'::bigint)`);
    expect(dry.plan?.find((p) => p.stream === 'src.orders')?.rows).toBe(3);

    const result = await runResult('pgfilters');
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
    const dry = await runResult('litefilters', { dryRun: true });
    expect(dry.plan?.[0]?.sql).toContain('("status" NOT IN (?) OR "status" IS NULL) AND CAST("amount" AS NUMERIC) > CAST(? AS NUMERIC) -- ? = "test", "1.5"');
    const result = await runResult('litefilters');
    expect(result.error).toBeNull();
    expect((await project.pg.query('SELECT id, amount::text FROM raw.lite_a ORDER BY id')).rows).toEqual([
      { id: '2', amount: '2.2500' },
      { id: '4', amount: '4.0000' },
    ]);
    expect((await project.pg.query('SELECT id FROM raw.lite_b ORDER BY id')).rows).toEqual([{ id: '2' }, { id: '3' }]);
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
    const result = await runResult('filefilters');
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
    const result = await runResult('badfilter');
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
    const again = await runResult('badfilter');
    expect(again.error).toContain('syncs/badfilter.yml:6:52');
    expect(again.error).toContain('filter value "yesterday" is not a valid timestamptz for column "updated_at"');
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
    const error = await loadProject(project.dir, { connectorSchemas: connectorSchemas() }).catch((e: unknown) => e);
    await rm(join(project.dir, 'syncs', 'shapefilter.yml'));
    expect(error).toBeInstanceOf(ConfigErrors);
    const text = (error as Error).message;
    expect(text).toContain('syncs/shapefilter.yml:6:42 streams.src.orders.filters[0].value: op in needs a list of values');
    expect(text).toContain('syncs/shapefilter.yml:7:42 streams.src.orders.filters[1].value: op gt cannot compare with null');
  });
});
