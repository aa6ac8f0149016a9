// CSV -> PG: Ferry loading a generated CSV file (ints, decimals, text with quotes,
// commas, line breaks and empty strings, timestamps with and without zone, NULLs)
// into Postgres (types inferred, `replace`), against `psql \copy ... FROM` of the
// same file into a table of the same types. Both end states are compared.
// Usage: npm run bench:csv-to-pg [-- ROWS]   (BENCH_ROWS=5000000 by default)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PG, assertSameTable, benchRows, cleanUpOnExit, dropDatabases, makeProject, psql, psqlCommand, recreateDatabase, report, timeFerry, timeShell } from './support.mjs';

const ROWS = benchRows();
const work = mkdtempSync(join(tmpdir(), 'ferry-bench-csv-'));
const csvPath = join(work, 'orders.csv');
cleanUpOnExit(() => {
  dropDatabases('ferry_bench_csv_base', 'ferry_bench_csv_dst');
  rmSync(work, { recursive: true, force: true });
});

// Deterministic rows: every value is a function of g. Text cells hold quotes,
// commas, a line break (every 1000th row) and the empty string (every 101st row).
const GENERATE = `SELECT g AS id,
  (g * 7919) % 100000 AS customer_id,
  round(((g * 37) % 1000000) / 100.0 - 2000, 2) AS amount,
  CASE WHEN g % 13 = 0 THEN NULL ELSE g % 50 + 1 END AS quantity,
  CASE WHEN g % 17 = 0 THEN NULL
       WHEN g % 101 = 0 THEN ''
       WHEN g % 1000 = 0 THEN E'two lines,\\nthe second "quoted"'
       WHEN g % 5 = 0 THEN 'He said "ship it, now", order ' || g
       ELSE 'order ' || md5(g::text) END AS note,
  (ARRAY['new', 'paid', 'shipped', 'cancelled'])[g % 4 + 1] AS status,
  timestamptz '2024-01-01 00:00:00+00' + g * interval '1.234567 second' AS created_at,
  CASE WHEN g % 11 = 0 THEN NULL ELSE timestamp '2024-01-01' + g * interval '0.5 second' END AS shipped_at,
  CASE WHEN g % 3 = 0 THEN NULL ELSE round((g % 100) / 7.0, 4) END AS discount
FROM generate_series(1, ${ROWS}::bigint) g`;
// The types Ferry infers from the file: integers -> bigint, decimals -> numeric (text kept), the rest by form.
const DDL = `CREATE TABLE orders (id bigint, customer_id bigint, amount numeric, quantity bigint, note text, status text,
  created_at timestamptz, shipped_at timestamp, discount numeric)`;

console.log(`generating ${ROWS.toLocaleString('en-US')} rows into ${csvPath} ...`);
await timeShell(psqlCommand('postgres', `\\copy (${GENERATE.replace(/\n\s*/g, ' ')}) TO '${csvPath}' WITH (FORMAT csv, HEADER)`));
console.log(`  ${(statSync(csvPath).size / 2 ** 20).toFixed(0)} MiB`);

recreateDatabase('ferry_bench_csv_base');
psql('ferry_bench_csv_base', DDL);
const baseline = {
  seconds: await timeShell(psqlCommand('ferry_bench_csv_base', `\\copy orders FROM '${csvPath}' WITH (FORMAT csv, HEADER)`)),
  label: 'psql \\copy FROM csv',
};

recreateDatabase('ferry_bench_csv_dst');
const dir = makeProject(
  { files: { type: 'files', path: work }, dst: { type: 'postgres', url: `${PG}/ferry_bench_csv_dst` } },
  'source: files\ndestination: dst\nstreams:\n  orders:\n    path: orders.csv\n    mode: full_refresh\n    write: replace\n    target: public.orders\n',
);
const ferry = await timeFerry(dir);
if (ferry.rows !== ROWS) throw new Error(`expected ${ROWS} rows written, got ${ferry.rows}`);
report('CSV -> PG (types inferred, replace)', ROWS, baseline, ferry);
assertSameTable('ferry_bench_csv_base', 'SELECT * FROM orders ORDER BY id', 'ferry_bench_csv_dst', 'SELECT * FROM orders ORDER BY id', 'CSV -> PG');
rmSync(dir, { recursive: true, force: true });
