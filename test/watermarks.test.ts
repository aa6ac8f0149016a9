import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectorSchemas, loadProject } from '../src/index.js';
import { useSqlFeaturesProject } from './support/use-sql-features-project.js';

/** Named watermarks end to end: resolved on real connections, substituted as typed literals, recorded on the run. */

const project = useSqlFeaturesProject('marks');
const { writeSync, run, runResult } = project;

describe('watermarks', () => {
  it('first run uses the default (the target does not exist yet), later runs the resolver value; recorded on the run', async () => {
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
    expect((await project.pg.query('SELECT id FROM raw.wm_events ORDER BY id')).rows).toEqual([{ id: 1 }, { id: 2 }]);

    await project.pg.query(`INSERT INTO src.events VALUES (4, '2024-06-01 00:00:00.000002+00'), (5, '2024-06-01 00:00:00.000003+00')`);
    const dry = await runResult('marks', { dryRun: true });
    expect(dry.watermarks[0]?.value).toBe('2024-06-01T00:00:00.000002Z');
    expect(dry.plan?.[0]?.sql).toContain(`updated_at > '2024-06-01T00:00:00.000002Z'::timestamp with time zone -- not {here}`);

    const second = await run('marks');
    const marks = await second.state.listRunWatermarks(second.result.runId);
    await second.state.close();
    expect(marks).toEqual([
      expect.objectContaining({ name: 'last', value: '2024-06-01T00:00:00.000002Z', kind: 'timestamptz', origin: 'query', error: null, literal: "'2024-06-01T00:00:00.000002Z'::timestamp with time zone" }),
    ]);
    expect((await project.pg.query('SELECT id FROM raw.wm_events ORDER BY id')).rows).toEqual([{ id: 1 }, { id: 2 }, { id: 5 }]);
  });

  it('values are substituted as quoted literals of the source dialect, from any connection, never as SQL text', async () => {
    await project.duck('SELECT 1'); // the resolvers below run on lake.duckdb, which no run has created yet
    await writeSync('inject', `source: shop
destination: app
watermarks:
  evil: { connection: lake, sql: "select 'paid'' OR ''1''=''1'" }
streams:
  orders:
    target: raw.injected
    where: "status = {evil} or id = {first_id}"
    watermarks:
      first_id: { connection: lake, sql: "select min(id) from (values (1::BIGINT), (3::BIGINT)) t(id)" }
`);
    const { result, state } = await run('inject');
    const marks = await state.listRunWatermarks(result.runId);
    await state.close();
    expect(result.error).toBeNull();
    expect(marks.map((m) => [m.stream, m.name, m.value, m.kind, m.literal])).toEqual([
      [null, 'evil', "paid' OR '1'='1", 'string', "'paid'' OR ''1''=''1'"],
      ['orders', 'first_id', '1', 'int64', '1'],
    ]);
    expect((await project.pg.query('SELECT id FROM raw.injected ORDER BY id')).rows).toEqual([{ id: '1' }]);
  });

  it('DuckDB source: a watermark from Postgres becomes a typed DuckDB literal; filters are bound parameters', async () => {
    await writeSync('seedduck', `source: drop
destination: lake
streams:
  events:
    path: events.csv
    target: main.file_events4
    filters: [{ column: amount, op: ne, value: "0.1" }]
`);
    const seeded = await runResult('seedduck');
    expect(seeded.error).toBeNull();
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
    const dry = await runResult('fromduck', { dryRun: true });
    expect(dry.error).toContain('column "amount" holds decimals as text in DuckDB');
    await writeSync('fromduck', (await readFile(join(project.dir, 'syncs', 'fromduck.yml'), 'utf8')).replace(', { column: amount, op: eq, value: "0.1" }', ''));
    const again = await runResult('fromduck', { dryRun: true });
    expect(again.plan?.[0]?.sql).toContain(`("at" > '2024-02-15T00:00:00Z'::TIMESTAMPTZ - INTERVAL 60 DAY) AND ("big" <> $1 OR "big" IS NULL) -- $1 = 9007199254740992`);
    const result = await runResult('fromduck');
    expect(result.error).toBeNull();
    expect((await project.pg.query('SELECT id FROM raw.from_duck ORDER BY id')).rows).toEqual([{ id: '3' }]);
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
    const result = await runResult('nodefault');
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
    const error = await loadProject(project.dir, { connectorSchemas: connectorSchemas() }).catch((e: unknown) => e);
    await rm(join(project.dir, 'syncs', 'nodefault.yml'));
    expect((error as Error).message).toBe('syncs/nodefault.yml:7:10 streams.nothing.sql: unknown watermark {tpo}; did you mean "top"?: define it under `watermarks:` of the stream or the sync (defined: top)');
  });
});
