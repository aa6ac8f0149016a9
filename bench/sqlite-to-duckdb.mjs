// SQLite -> DuckDB full refresh of the quickstart shop database against
// `sqlite3 -csv` export + DuckDB read_csv, run in the same script.
// Usage: npm run build && node bench/sqlite-to-duckdb.mjs   (BENCH_SCALE=1 ~ 1M rows)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateShopDatabase } from '../dist/quickstart/generate-shop.js';
import { makeProject, report, timeFerry, timeShell } from './support.mjs';

const scale = Number(process.env.BENCH_SCALE ?? 1);
const work = mkdtempSync(join(tmpdir(), 'ferry-bench-sqlite-'));
const dbPath = join(work, 'shop.db');
const summary = generateShopDatabase(dbPath, { scale });
const rows = summary.tables.reduce((n, t) => n + t.rows, 0);
const tables = summary.tables.map((t) => t.name);

// Baseline: export every table as CSV with the sqlite3 CLI, then load with DuckDB read_csv.
const started = performance.now();
for (const table of tables) {
  await timeShell(`sqlite3 -csv -header ${dbPath} "select * from ${table}" > ${join(work, `${table}.csv`)}`);
}
const duck = await DuckDBInstance.create(join(work, 'baseline.duckdb'));
const conn = await duck.connect();
for (const table of tables) await conn.run(`CREATE OR REPLACE TABLE ${table} AS SELECT * FROM read_csv('${join(work, `${table}.csv`)}')`);
conn.closeSync();
duck.closeSync();
const baseline = { seconds: (performance.now() - started) / 1000, label: 'sqlite3 -csv + duckdb read_csv' };

const dir = makeProject({ shop: { type: 'sqlite', path: dbPath }, wh: { type: 'duckdb', path: 'warehouse.duckdb' } }, `source: shop\ndestination: wh\nstreams:\n  "*":\n    mode: full_refresh\n    write: replace\n`);
const ferry = await timeFerry(dir, { threads: 2 });
if (ferry.rows !== rows) throw new Error(`expected ${rows} rows written, got ${ferry.rows}`);
report('SQLite -> DuckDB (shop database, 4 tables)', rows, baseline, ferry);
