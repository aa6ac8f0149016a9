// PG -> PG full refresh of a generated table (bigint, int, timestamptz, numeric,
// text, jsonb, bool, uuid) against `psql COPY binary | psql COPY binary`, and
// PG -> DuckDB (binary COPY re-encoded into Parquet parts DuckDB inserts) against the same baseline.
// Usage: npm run build && node bench/pg-to-pg.mjs   (BENCH_ROWS=5000000 by default)
import { join } from 'node:path';
import { PG, makeProject, psql, recreateDatabase, report, timeFerry, timeShell } from './support.mjs';

const ROWS = Number(process.env.BENCH_ROWS ?? 5_000_000);
const DDL = 'CREATE TABLE bench_t (id bigint PRIMARY KEY, n int, ts timestamptz, amount numeric(12,2), note text, doc jsonb, flag bool, uid uuid)';

recreateDatabase('ferry_bench_src');
console.log(`generating ${ROWS.toLocaleString('en-US')} rows in ferry_bench_src.bench_t ...`);
psql('ferry_bench_src', DDL);
psql('ferry_bench_src', `INSERT INTO bench_t SELECT g, (g % 100000)::int, timestamptz '2020-01-01' + g * interval '1.000001 second',
  round((g % 1000000) / 100.0, 2), 'note ' || md5(g::text), jsonb_build_object('k', g, 'tag', 't' || (g % 7)), g % 2 = 0,
  md5(g::text)::uuid FROM generate_series(1, ${ROWS}) g`);
psql('ferry_bench_src', 'VACUUM ANALYZE bench_t');

// Baseline: binary COPY piped between two psql processes.
recreateDatabase('ferry_bench_base');
psql('ferry_bench_base', DDL);
const pipe = `psql -h 127.0.0.1 -U postgres -d ferry_bench_src -Atqc "COPY bench_t TO STDOUT (FORMAT binary)" | psql -h 127.0.0.1 -U postgres -d ferry_bench_base -Atqc "COPY bench_t FROM STDIN (FORMAT binary)"`;
const baseline = { seconds: await timeShell(pipe), label: 'psql COPY binary | psql COPY binary' };

recreateDatabase('ferry_bench_dst');
const syncPg = `source: src\ndestination: dst\nstreams:\n  public.bench_t:\n    mode: full_refresh\n    write: replace\n`;
const pgDir = makeProject({ src: { type: 'postgres', url: `${PG}/ferry_bench_src` }, dst: { type: 'postgres', url: `${PG}/ferry_bench_dst` } }, syncPg);
const passThrough = await timeFerry(pgDir);
const landed = Number(psql('ferry_bench_dst', 'SELECT count(*) FROM public.bench_t'));
if (landed !== ROWS) throw new Error(`expected ${ROWS} rows in the destination, found ${landed}`);
report('PG -> PG (binary pass-through)', ROWS, baseline, passThrough);

const duckDir = makeProject({ src: { type: 'postgres', url: `${PG}/ferry_bench_src` }, wh: { type: 'duckdb', path: 'warehouse.duckdb' } }, syncPg.replace('destination: dst', 'destination: wh'));
const decoded = await timeFerry(duckDir);
if (decoded.rows !== ROWS) throw new Error(`expected ${ROWS} rows written to DuckDB, got ${decoded.rows}`);
report(`PG -> DuckDB (binary COPY as Parquet parts) [${join(duckDir, 'warehouse.duckdb')}]`, ROWS, baseline, decoded);

for (const db of ['ferry_bench_src', 'ferry_bench_base', 'ferry_bench_dst']) psql('postgres', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
