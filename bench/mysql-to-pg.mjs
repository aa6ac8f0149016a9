// MariaDB -> PG: Ferry copying a generated table (the PG -> PG benchmark's table in
// MariaDB types: bigint, int, datetime(6), decimal(12,2), text, json, boolean,
// char(36) uuid text) into Postgres, against pgloader (installed from Debian with
// apt-get when missing) loading the same table into another database.
// Usage: npm run bench:mysql-to-pg [-- ROWS]   (BENCH_ROWS=5000000 by default)
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { PG, benchRows, cleanUpOnExit, dropDatabases, dumpDigest, makeProject, psql, recreateDatabase, report, timeFerry, timeShell } from './support.mjs';

const ROWS = benchRows();
const MY_DB = 'ferry_bench_my';
const BASE = 'ferry_bench_pgloader';
const DST = 'ferry_bench_my_dst';
const MYSQL_URL = process.env.BENCH_MYSQL ?? 'mysql://root@127.0.0.1:3306';

function mysql(sql, db = '') {
  const { hostname, port, username, password } = new URL(MYSQL_URL);
  const args = ['-h', hostname, '-P', port || '3306', '-u', decodeURIComponent(username || 'root'), '-N', '-B', '-e', sql];
  if (password) args.push(`-p${decodeURIComponent(password)}`);
  if (db) args.push(db);
  return execFileSync('mysql', args, { encoding: 'utf8', maxBuffer: 1 << 26 });
}

function ensurePgloader() {
  try {
    execFileSync('pgloader', ['--version'], { stdio: 'ignore' });
  } catch {
    console.log('installing pgloader (apt-get install -y pgloader) ...');
    execFileSync('bash', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgloader'], { stdio: 'inherit' });
  }
}

ensurePgloader();
cleanUpOnExit(() => {
  mysql(`DROP DATABASE IF EXISTS ${MY_DB}`);
  dropDatabases(BASE, DST);
});
console.log(`generating ${ROWS.toLocaleString('en-US')} rows in MariaDB ${MY_DB}.bench_t ...`);
mysql(`DROP DATABASE IF EXISTS ${MY_DB}; CREATE DATABASE ${MY_DB}`);
mysql(
  `CREATE TABLE bench_t (id bigint PRIMARY KEY, n int, ts datetime(6), amount decimal(12,2), note text, doc json, flag boolean, uid char(36)) ENGINE=InnoDB;
   SET unique_checks = 0;
   INSERT INTO bench_t SELECT seq, seq % 100000, TIMESTAMP'2020-01-01 00:00:00' + INTERVAL seq SECOND + INTERVAL seq MICROSECOND,
     ROUND((seq % 1000000) / 100, 2), IF(seq % 10 = 0, CONCAT('say "hi", ', seq), CONCAT('note ', MD5(seq))),
     JSON_OBJECT('k', seq, 'tag', CONCAT('t', seq % 7)), seq % 2 = 0,
     INSERT(INSERT(INSERT(INSERT(MD5(seq), 21, 0, '-'), 17, 0, '-'), 13, 0, '-'), 9, 0, '-')
   FROM seq_1_to_${ROWS};
   ANALYZE TABLE bench_t`,
  MY_DB,
);

// Baseline: pgloader's default MySQL migration (schema, data, indexes) into a fresh database.
recreateDatabase(BASE);
const myUrl = `${MYSQL_URL}/${MY_DB}`;
const baseline = {
  seconds: await timeShell(`pgloader --quiet --root-dir /tmp/pgloader-bench ${myUrl} ${PG.replace(/^postgres:/, 'postgresql:')}/${BASE}`),
  label: 'pgloader (Debian)',
};
const loaded = Number(psql(BASE, `SELECT count(*) FROM ${MY_DB}.bench_t`));
if (loaded !== ROWS) throw new Error(`pgloader loaded ${loaded} rows, expected ${ROWS}`);

recreateDatabase(DST);
const dir = makeProject(
  { my: { type: 'mysql', url: myUrl }, dst: { type: 'postgres', url: `${PG}/${DST}` } },
  `source: my\ndestination: dst\nstreams:\n  ${MY_DB}.bench_t:\n    mode: full_refresh\n    write: replace\n    target: public.bench_t\n`,
);
const ferry = await timeFerry(dir);
if (ferry.rows !== ROWS) throw new Error(`expected ${ROWS} rows written, got ${ferry.rows}`);
report('MariaDB -> PG (full refresh)', ROWS, baseline, ferry);
// The two loads map types differently (pgloader: datetime -> timestamptz, char(36) -> text...);
// compare the columns whose values have one spelling.
const columns = 'SELECT id, n, amount, note FROM';
const [a, b] = [dumpDigest(BASE, `${columns} ${MY_DB}.bench_t ORDER BY id`), dumpDigest(DST, `${columns} public.bench_t ORDER BY id`)];
if (a !== b) throw new Error(`pgloader and Ferry loaded different values (md5 ${a} vs ${b})`);
console.log(`  verified            id, n, amount, note identical in both (md5 ${a})`);

rmSync(dir, { recursive: true, force: true });
