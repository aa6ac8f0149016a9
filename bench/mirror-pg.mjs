// PG -> PG `write: mirror` after 1% of the source rows were deleted and 1% updated,
// against the same work written by hand: binary COPY into a staging table, then
// INSERT ... ON CONFLICT DO UPDATE and DELETE ... WHERE NOT EXISTS in one transaction.
// Also times a soft mirror with metadata columns (rows decoded: no pass-through).
// Usage: npm run build && node bench/mirror-pg.mjs   (BENCH_ROWS=1000000 by default)
import { PG, makeProject, psql, recreateDatabase, report, timeFerry, timeShell } from './support.mjs';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const COLUMNS = 'id bigint PRIMARY KEY, n int, ts timestamptz, amount numeric(12,2), note text';
const SRC = 'ferry_bench_mirror_src';
const BASE = 'ferry_bench_mirror_base';
const DST = 'ferry_bench_mirror_dst';

recreateDatabase(SRC);
console.log(`generating ${ROWS.toLocaleString('en-US')} rows in ${SRC}.bench_m ...`);
psql(SRC, `CREATE TABLE bench_m (${COLUMNS})`);
psql(SRC, `INSERT INTO bench_m SELECT g, (g % 100000)::int, timestamptz '2020-01-01' + g * interval '1.000001 second',
  round((g % 1000000) / 100.0, 2), 'note ' || md5(g::text) FROM generate_series(1, ${ROWS}) g`);

// The destinations start from the full table: the first mirror run loads it.
recreateDatabase(BASE);
psql(BASE, `CREATE TABLE bench_m (${COLUMNS})`);
psql(BASE, `CREATE TABLE stage_m (${COLUMNS.replace(' PRIMARY KEY', '')})`);
await timeShell(`psql -h 127.0.0.1 -U postgres -d ${SRC} -Atqc "COPY bench_m TO STDOUT (FORMAT binary)" | psql -h 127.0.0.1 -U postgres -d ${BASE} -Atqc "COPY bench_m FROM STDIN (FORMAT binary)"`);
recreateDatabase(DST);
const sync = (extra) => `source: src\ndestination: dst\nstreams:\n  public.bench_m:\n    write: mirror\n${extra}`;
const connections = { src: { type: 'postgres', url: `${PG}/${SRC}` }, dst: { type: 'postgres', url: `${PG}/${DST}` } };
const hardDir = makeProject(connections, sync('    mirror_max_delete_percent: 5\n'));
await timeFerry(hardDir);

// 1% deleted, 1% updated at the source.
psql(SRC, `DELETE FROM bench_m WHERE id % 100 = 7; UPDATE bench_m SET amount = amount + 1 WHERE id % 100 = 8`);
psql(SRC, 'VACUUM ANALYZE bench_m');
const remaining = Number(psql(SRC, 'SELECT count(*) FROM bench_m'));

const publishSql = `BEGIN;
INSERT INTO bench_m SELECT * FROM stage_m ON CONFLICT (id) DO UPDATE SET n = EXCLUDED.n, ts = EXCLUDED.ts, amount = EXCLUDED.amount, note = EXCLUDED.note;
DELETE FROM bench_m t WHERE NOT EXISTS (SELECT 1 FROM stage_m s WHERE s.id = t.id);
COMMIT;`;
const hand = `psql -h 127.0.0.1 -U postgres -d ${SRC} -Atqc "COPY bench_m TO STDOUT (FORMAT binary)" | psql -h 127.0.0.1 -U postgres -d ${BASE} -Atqc "TRUNCATE stage_m; COPY stage_m FROM STDIN (FORMAT binary)" && psql -h 127.0.0.1 -U postgres -d ${BASE} -v ON_ERROR_STOP=1 -Atq -c "${publishSql.replace(/\n/g, ' ')}"`;
const baseline = { seconds: await timeShell(hand), label: 'psql COPY binary | staging, INSERT ON CONFLICT + DELETE NOT EXISTS' };
if (Number(psql(BASE, 'SELECT count(*) FROM bench_m')) !== remaining) throw new Error('baseline row count is off');

const hard = await timeFerry(hardDir);
const landed = Number(psql(DST, 'SELECT count(*) FROM public.bench_m'));
if (landed !== remaining) throw new Error(`expected ${remaining} rows after the mirror, found ${landed}`);
report('PG -> PG mirror (hard, pass-through), 1% deleted + 1% updated', ROWS, baseline, hard);

// Soft mirror with metadata columns into a fresh table: load once, then the same change.
psql(DST, 'DROP TABLE public.bench_m');
psql(SRC, `INSERT INTO bench_m SELECT g, 0, now(), 0, 'back' FROM generate_series(1, ${ROWS}) g WHERE g % 100 = 7`);
const softDir = makeProject(connections, sync('    mirror_delete: soft\n    metadata_columns: [synced_at, run_id]\n'));
await timeFerry(softDir);
psql(SRC, `DELETE FROM bench_m WHERE id % 100 = 7`);
const soft = await timeFerry(softDir);
const marked = Number(psql(DST, 'SELECT count(*) FROM public.bench_m WHERE _ferry_deleted_at IS NOT NULL'));
if (marked !== ROWS - remaining) throw new Error(`expected ${ROWS - remaining} rows marked deleted, found ${marked}`);
report('PG -> PG mirror (soft + metadata columns, rows decoded), 1% deleted', ROWS, baseline, soft);

for (const db of [SRC, BASE, DST]) psql('postgres', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
