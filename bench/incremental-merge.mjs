// Incremental merge of 1% changed rows: after an initial load of a generated table,
// 1% of the source rows change (updated_at bumped); Ferry's incremental `merge` run
// is timed against a hand-written baseline: `COPY (SELECT ... WHERE updated_at >=
// bound) TO STDOUT | COPY stage FROM STDIN` + `INSERT ... ON CONFLICT DO UPDATE` in
// one transaction. Both destinations must end identical (md5 of an ordered dump).
// Usage: npm run bench:merge [-- ROWS]   (BENCH_ROWS=5000000 by default; BENCH_ROUNDS=3 rounds, the median is reported)
import { rmSync } from 'node:fs';
import { PG, assertSameTable, benchRows, cleanUpOnExit, dropDatabases, makeProject, psql, psqlCommand, recreateDatabase, report, timeFerry, timeShell } from './support.mjs';

const ROWS = benchRows();
const CHANGED_EVERY = 100;
const SRC = 'ferry_bench_merge_src';
const BASE = 'ferry_bench_merge_base';
const DST = 'ferry_bench_merge_dst';
const COLUMNS = ['id', 'n', 'amount', 'note', 'doc', 'flag', 'uid', 'updated_at'];
const DDL = `CREATE TABLE bench_t (id bigint PRIMARY KEY, n int, amount numeric(12,2), note text, doc jsonb, flag bool, uid uuid,
  updated_at timestamptz NOT NULL)`;

cleanUpOnExit(() => dropDatabases(SRC, BASE, DST));
for (const db of [SRC, BASE, DST]) recreateDatabase(db);
console.log(`generating ${ROWS.toLocaleString('en-US')} rows in ${SRC}.bench_t ...`);
psql(SRC, DDL);
psql(SRC, `INSERT INTO bench_t SELECT g, (g % 100000)::int, round((g % 1000000) / 100.0, 2),
  CASE WHEN g % 17 = 0 THEN NULL ELSE 'note, "' || md5(g::text) || '"' END, jsonb_build_object('k', g, 'tag', 't' || (g % 7)),
  g % 2 = 0, md5(g::text)::uuid, timestamptz '2020-01-01' + g * interval '1.000001 second' FROM generate_series(1, ${ROWS}::bigint) g`);
psql(SRC, 'CREATE INDEX bench_t_updated_at ON bench_t (updated_at)');
psql(SRC, 'VACUUM ANALYZE bench_t');

// Initial loads (not compared): Ferry's first incremental run, and a binary COPY pipe for the baseline.
const dir = makeProject(
  { src: { type: 'postgres', url: `${PG}/${SRC}` }, dst: { type: 'postgres', url: `${PG}/${DST}` } },
  'source: src\ndestination: dst\nstreams:\n  public.bench_t:\n    mode: incremental\n    cursor: updated_at\n    write: merge\n',
);
const initial = await timeFerry(dir);
console.log(`  initial Ferry load  ${initial.seconds.toFixed(2)} s`);
psql(BASE, DDL);
await timeShell(`${psqlCommand(SRC, 'COPY bench_t TO STDOUT (FORMAT binary)')} | ${psqlCommand(BASE, 'COPY bench_t FROM STDIN (FORMAT binary)')}`);
psql(BASE, 'VACUUM ANALYZE bench_t');
psql(DST, 'VACUUM ANALYZE bench_t');
// Each round changes another 1% of the rows and times both jobs on them, one after the
// other; the round with the median ratio is reported (a shared machine makes single runs noisy).
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const updates = COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = EXCLUDED.${c}`).join(', ');
const rounds = [];
for (let round = 0; round < ROUNDS; round++) {
  // The bound a hand-written job would have stored: the highest updated_at it delivered.
  const bound = psql(SRC, "SET TimeZone = 'UTC'; SELECT max(updated_at) FROM bench_t").trim();
  const changed = Number(
    psql(SRC, `WITH u AS (UPDATE bench_t SET amount = amount + 1, note = coalesce(note, '') || ' (changed)', flag = NOT flag,
      updated_at = timestamptz '2030-01-01' + ${round} * interval '1 day' + id * interval '1 microsecond'
      WHERE id % ${CHANGED_EVERY} = ${(42 + round) % CHANGED_EVERY} RETURNING 1) SELECT count(*) FROM u`),
  );
  const pipe = [
    psqlCommand(SRC, `COPY (SELECT * FROM bench_t WHERE updated_at >= '${bound}') TO STDOUT`),
    psqlCommand(BASE, `INSERT INTO bench_t SELECT * FROM stage ON CONFLICT (id) DO UPDATE SET ${updates}`, [
      '-1',
      `-c ${JSON.stringify('CREATE TEMP TABLE stage (LIKE bench_t) ON COMMIT DROP')}`,
      `-c ${JSON.stringify('COPY stage FROM STDIN')}`,
    ].join(' ')),
  ].join(' | ');
  const baseline = { seconds: await timeShell(pipe), label: 'COPY out | COPY to temp stage + INSERT ... ON CONFLICT, one transaction' };
  const ferry = await timeFerry(dir);
  // Ferry re-reads the row at its checkpoint's boundary (inclusive cursor) and skips it as already delivered.
  if (ferry.rows !== changed) throw new Error(`round ${round + 1}: expected ${changed} rows merged, got ${ferry.rows}`);
  console.log(`  round ${round + 1}             ${changed.toLocaleString('en-US')} changed: baseline ${baseline.seconds.toFixed(2)} s, ferry ${ferry.seconds.toFixed(2)} s, ratio ${(baseline.seconds / ferry.seconds).toFixed(2)}x`);
  rounds.push({ changed, baseline, ferry, ratio: baseline.seconds / ferry.seconds });
}
const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)];
report(`Incremental merge of ${median.changed.toLocaleString('en-US')} changed rows (1%) into ${ROWS.toLocaleString('en-US')} (median of ${ROUNDS} rounds)`, median.changed, median.baseline, median.ferry);
const ordered = `SELECT ${COLUMNS.join(', ')} FROM bench_t ORDER BY id`;
assertSameTable(BASE, ordered, DST, ordered, 'incremental merge');
assertSameTable(SRC, ordered, DST, ordered, 'source and Ferry destination');

rmSync(dir, { recursive: true, force: true });
