// PG -> CSV and PG -> Parquet: Ferry exporting a generated table (bigint, int,
// timestamptz, numeric, text with quotes and commas, jsonb, bool, uuid, NULLs) to a
// file, against `psql \copy (SELECT ...) TO` a CSV file of the same table.
// Usage: npm run bench:pg-to-files [-- ROWS]   (BENCH_ROWS=5000000 by default; BENCH_FORMATS=csv or parquet for one;
// BENCH_ROUNDS=3 rounds, the median is reported)
// In one piece by default, as `ferry run` reads a files stream with `chunks: auto`.
// BENCH_CHUNKS=N (N > 1) reads N heap page ranges, BENCH_PARALLELISM (default 2) at once,
// into the one file in order (docs/performance.md, "PG -> CSV: ordered parallel range reads").
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PG, benchRows, cleanUpOnExit, dropDatabases, makeProject, psql, psqlCommand, recreateDatabase, report, serverCpuDuring, timeFerry, timeShell } from './support.mjs';

const ROWS = benchRows();
// BENCH_DB names the database, so two people benchmarking on one server do not collide.
const DB = process.env.BENCH_DB ?? 'ferry_bench_export';
const work = mkdtempSync(join(tmpdir(), 'ferry-bench-export-'));
cleanUpOnExit(() => {
  dropDatabases(DB);
  rmSync(work, { recursive: true, force: true });
});

recreateDatabase(DB);
console.log(`generating ${ROWS.toLocaleString('en-US')} rows in ${DB}.bench_t ...`);
psql(DB, 'CREATE TABLE bench_t (id bigint PRIMARY KEY, n int, ts timestamptz, amount numeric(12,2), note text, doc jsonb, flag bool, uid uuid)');
psql(DB, `INSERT INTO bench_t SELECT g, (g % 100000)::int, timestamptz '2020-01-01' + g * interval '1.000001 second',
  round((g % 1000000) / 100.0, 2), CASE WHEN g % 10 = 0 THEN 'say "hi", ' || g WHEN g % 17 = 0 THEN NULL ELSE 'note ' || md5(g::text) END,
  jsonb_build_object('k', g, 'tag', 't' || (g % 7)), g % 2 = 0, md5(g::text)::uuid FROM generate_series(1, ${ROWS}::bigint) g`);
psql(DB, 'VACUUM ANALYZE bench_t');

const baseFile = join(work, 'baseline.csv');
const connections = { src: { type: 'postgres', url: `${PG}/${DB}` }, out: { type: 'files', path: join(work, 'out') } };
const formats = (process.env.BENCH_FORMATS ?? 'csv,parquet').split(',');
const targets = [['CSV', 'bench_t.csv'], ['Parquet', 'bench_t.parquet']].filter(([label]) => formats.includes(label.toLowerCase()));
// Each round times the baseline, then Ferry, back to back; the round with the median ratio is
// reported (on a shared machine a single run of either side varies by a third).
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
for (const [label, file] of targets) {
  const ranges = `${process.env.BENCH_CHUNKS ? `    chunks: ${process.env.BENCH_CHUNKS}\n` : ''}    parallelism: ${process.env.BENCH_PARALLELISM ?? 2}\n`;
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    rmSync(baseFile, { force: true });
    const timedBaseline = await serverCpuDuring([DB], () => timeShell(psqlCommand(DB, `\\copy (SELECT * FROM bench_t) TO '${baseFile}' WITH (FORMAT csv, HEADER)`)));
    const baseline = { seconds: timedBaseline.result, label: 'psql \\copy (SELECT ...) TO csv' };
    const dir = makeProject(connections, `source: src\ndestination: out\nstreams:\n  public.bench_t:\n    mode: full_refresh\n    write: replace\n    target: ${file}\n${ranges}`);
    const timedFerry = await serverCpuDuring([DB], () => timeFerry(dir));
    const ferry = timedFerry.result;
    if (ferry.rows !== ROWS) throw new Error(`expected ${ROWS} rows written, got ${ferry.rows}`);
    const ratio = baseline.seconds / ferry.seconds;
    console.log(`  round ${round + 1}: baseline ${baseline.seconds.toFixed(2)} s, ferry ${ferry.seconds.toFixed(2)} s, ratio ${ratio.toFixed(2)}x`);
    rounds.push({ baseline, ferry, ratio, serverCpu: [timedBaseline.serverCpuSeconds, timedFerry.serverCpuSeconds] });
    rmSync(dir, { recursive: true, force: true });
  }
  const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)];
  report(`PG -> ${label} file (median of ${ROUNDS} rounds)`, ROWS, median.baseline, median.ferry);
  console.log(`  server backends CPU baseline ${median.serverCpu[0].toFixed(2)} s, ferry ${median.serverCpu[1].toFixed(2)} s`);
  console.log(`  baseline file       ${(statSync(baseFile).size / 2 ** 20).toFixed(0)} MiB`);
  console.log(`  ferry file          ${(statSync(join(work, 'out', file)).size / 2 ** 20).toFixed(0)} MiB`);
}
