// CDC drain: a backlog of changes waiting in the slot, applied by a catch-up
// `ferry run` (decode pgoutput, apply to Postgres, confirm) against
// `pg_recvlogical` decoding the same backlog with pgoutput to /dev/null.
// Usage: npm run build && node bench/cdc-drain.mjs   (BENCH_CHANGES=1000000 by default)
import { PG, makeProject, psql, recreateDatabase, report, timeFerry, timeShell } from './support.mjs';

const CHANGES = Number(process.env.BENCH_CHANGES ?? 1_000_000);
const SLOT = 'ferry_bench_cdc';
const BASE_SLOT = 'ferry_bench_cdc_recv';
const DDL = 'CREATE TABLE bench_c (id bigint PRIMARY KEY, n int, ts timestamptz, amount numeric(12,2), note text)';

const dropSlots = () => psql('postgres', `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name IN ('${SLOT}', '${BASE_SLOT}')`);
dropSlots();
recreateDatabase('ferry_bench_cdc_src');
recreateDatabase('ferry_bench_cdc_dst');
psql('ferry_bench_cdc_src', DDL);
psql('ferry_bench_cdc_src', "INSERT INTO bench_c VALUES (0, 0, now(), 0, 'seed')");

const sync = `source: src\ndestination: dst\ncdc:\n  slot: ${SLOT}\n  batch_rows: 50000\nstreams:\n  public.bench_c:\n    mode: cdc\n`;
const dir = makeProject({ src: { type: 'postgres', url: `${PG}/ferry_bench_cdc_src` }, dst: { type: 'postgres', url: `${PG}/ferry_bench_cdc_dst` } }, sync);
await timeFerry(dir); // creates publication + slot, snapshots the seed row
psql('ferry_bench_cdc_src', `SELECT pg_create_logical_replication_slot('${BASE_SLOT}', 'pgoutput')`);

// The backlog: inserts in 10k-row transactions, then updates of 20% of them (each a change).
const inserts = Math.round(CHANGES * 0.8);
console.log(`generating ${CHANGES.toLocaleString('en-US')} changes ...`);
for (let start = 1; start <= inserts; start += 10_000) {
  const end = Math.min(inserts, start + 9_999);
  psql('ferry_bench_cdc_src', `INSERT INTO bench_c SELECT g, g % 1000, timestamptz '2024-01-01' + g * interval '1 second', g / 100.0, 'note ' || md5(g::text) FROM generate_series(${start}, ${end}) g`);
}
psql('ferry_bench_cdc_src', `UPDATE bench_c SET n = n + 1 WHERE id % 4 = 0 AND id > 0`);
const endLsn = psql('ferry_bench_cdc_src', 'SELECT pg_current_wal_lsn()').trim();

const recv = `pg_recvlogical -h 127.0.0.1 -U postgres -d ferry_bench_cdc_src --slot ${BASE_SLOT} --start --endpos ${endLsn} -o proto_version=1 -o publication_names=${SLOT} -f /dev/null`;
const baseline = { seconds: await timeShell(recv), label: 'pg_recvlogical pgoutput -> /dev/null' };
const ferry = await timeFerry(dir);
const expected = psql('ferry_bench_cdc_src', 'SELECT count(*), sum(n) FROM bench_c').trim();
const landed = psql('ferry_bench_cdc_dst', 'SELECT count(*), sum(n) FROM public.bench_c').trim();
if (expected !== landed) throw new Error(`destination (${landed}) differs from source (${expected})`);
const changes = Number(psql('ferry_bench_cdc_src', 'SELECT count(*) + count(*) FILTER (WHERE id % 4 = 0 AND id > 0) - 1 FROM bench_c').trim());
report('CDC drain: PG slot backlog -> PG (decode, apply, confirm)', changes, baseline, ferry);

dropSlots();
for (const db of ['ferry_bench_cdc_src', 'ferry_bench_cdc_dst']) psql('postgres', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
