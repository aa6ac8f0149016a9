// PG -> PG full refresh (replace) of one generated table read as 4 key-range
// chunks on 4 connections at once (binary COPY passed through per chunk),
// against one `psql COPY binary | psql COPY binary` pipe. Target: >= 1.5x.
// Usage: npm run build && node bench/pg-chunks.mjs   (BENCH_ROWS=5000000, BENCH_CHUNKS=4 by default;
// BENCH_PARALLELISM, the chunks copied at once, defaults to BENCH_CHUNKS)
import { rmSync } from 'node:fs';
import { PG, makeProject, psql, recreateDatabase, report, serverCpuDuring, timeFerry, timeShell } from './support.mjs';

const ROWS = Number(process.env.BENCH_ROWS ?? 5_000_000);
const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 4);
const PARALLELISM = Number(process.env.BENCH_PARALLELISM ?? CHUNKS);
const DDL = 'CREATE TABLE bench_t (id bigint PRIMARY KEY, n int, ts timestamptz, amount numeric(12,2), note text, doc jsonb, flag bool, uid uuid)';

recreateDatabase('ferry_bench_csrc');
console.log(`generating ${ROWS.toLocaleString('en-US')} rows in ferry_bench_csrc.bench_t ...`);
psql('ferry_bench_csrc', DDL);
psql('ferry_bench_csrc', `INSERT INTO bench_t SELECT g, (g % 100000)::int, timestamptz '2020-01-01' + g * interval '1.000001 second',
  round((g % 1000000) / 100.0, 2), 'note ' || md5(g::text), jsonb_build_object('k', g, 'tag', 't' || (g % 7)), g % 2 = 0,
  md5(g::text)::uuid FROM generate_series(1, ${ROWS}) g`);
psql('ferry_bench_csrc', 'VACUUM ANALYZE bench_t');

// Baseline: one binary COPY piped between two psql processes, into a table with the same primary key.
recreateDatabase('ferry_bench_cbase');
psql('ferry_bench_cbase', DDL);
const pipe = `psql -h 127.0.0.1 -U postgres -d ferry_bench_csrc -Atqc "COPY bench_t TO STDOUT (FORMAT binary)" | psql -h 127.0.0.1 -U postgres -d ferry_bench_cbase -Atqc "COPY bench_t FROM STDIN (FORMAT binary)"`;
const timedPipe = await serverCpuDuring(['ferry_bench_csrc', 'ferry_bench_cbase'], () => timeShell(pipe));
const baseline = { seconds: timedPipe.result, label: 'psql COPY binary | psql COPY binary' };

recreateDatabase('ferry_bench_cdst');
const sync = `source: src\ndestination: dst\nstreams:\n  public.bench_t:\n    write: replace\n    chunks: ${CHUNKS}\n    parallelism: ${PARALLELISM}\n`;
const dir = makeProject({ src: { type: 'postgres', url: `${PG}/ferry_bench_csrc` }, dst: { type: 'postgres', url: `${PG}/ferry_bench_cdst` } }, sync);
const timedFerry = await serverCpuDuring(['ferry_bench_csrc', 'ferry_bench_cdst'], () => timeFerry(dir));
const chunked = timedFerry.result;
const landed = Number(psql('ferry_bench_cdst', 'SELECT count(*) FROM public.bench_t'));
if (landed !== ROWS) throw new Error(`expected ${ROWS} rows in the destination, found ${landed}`);
report(`PG -> PG, ${CHUNKS} chunks, ${PARALLELISM} at once (binary pass-through per chunk)`, ROWS, baseline, chunked);
// On a machine with few cores the servers' CPU decides: both sides make Postgres do the same work.
console.log(`  server backends CPU baseline ${timedPipe.serverCpuSeconds.toFixed(2)} s, ferry ${timedFerry.serverCpuSeconds.toFixed(2)} s (COPY out + COPY in + key build)`);

for (const db of ['ferry_bench_csrc', 'ferry_bench_cbase', 'ferry_bench_cdst']) psql('postgres', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
rmSync(dir, { recursive: true, force: true });
