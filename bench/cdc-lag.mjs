// CDC end-to-end lag: a writer process commits a steady stream of numbered rows
// (BENCH_RATE changes/s, default 10,000; every 10 ms one transaction of the rows due), stamped with
// the source clock, while `ferry run --follow` streams them into Postgres. A poller
// process reads the destination's highest sequence number every 10 ms; a row's lag
// is the first poll that saw it minus its commit stamp (so the poll interval is
// counted against Ferry, never for it). Target: p99 < 1 s.
// Usage: npm run build && node bench/cdc-lag.mjs   (BENCH_SECONDS=40, BENCH_RATE=10000;
// BENCH_BATCH_ROWS and BENCH_FLUSH_MS override cdc.batch_rows and cdc.flush_ms)
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { connectorSchemas, loadProject, openStateStore, runSync } from '../dist/index.js';
import { PG, makeProject, psql, recreateDatabase } from './support.mjs';

const SRC = 'ferry_bench_cdclag_src';
const DST = 'ferry_bench_cdclag_dst';
const SLOT = 'ferry_bench_cdclag';
const TICK_MS = 10;
const POLL_MS = 10;

const role = process.argv[2];
if (role === 'writer') await writer(Number(process.argv[3]), Number(process.argv[4]));
else if (role === 'poller') await poller();
else await main();

/**
 * Commits `rate` rows/s for `seconds` s: every TICK_MS one INSERT of the rows due by
 * now (so a slow statement makes the next transaction larger, not the rate lower).
 * Prints the rows and seconds taken.
 */
async function writer(rate, seconds) {
  const client = new pg.Client({ connectionString: `${PG}/${SRC}` });
  await client.connect();
  const started = performance.now();
  let written = 0;
  for (;;) {
    const elapsed = performance.now() - started;
    if (elapsed >= seconds * 1000) break;
    const due = Math.floor((elapsed / 1000) * rate);
    if (due > written) {
      await client.query('INSERT INTO lag_events SELECT g, clock_timestamp(), $3 FROM generate_series($1::bigint, $2::bigint) g', [written + 1, due, 'x'.repeat(40)]);
      written = due;
    }
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  const elapsed = (performance.now() - started) / 1000;
  await client.end();
  process.stdout.write(JSON.stringify({ rows: written, seconds: elapsed }));
}

/** Polls the destination's max(seq) until stdin closes; prints [seq, epoch ms] each time it grew. */
async function poller() {
  const client = new pg.Client({ connectionString: `${PG}/${DST}` });
  await client.connect();
  const seen = [];
  let last = 0;
  let stop = false;
  process.stdin.on('end', () => (stop = true)).resume();
  while (!stop) {
    const result = await client.query('SELECT coalesce(max(seq), 0)::bigint AS s FROM public.lag_events');
    const now = Date.now();
    const s = Number(result.rows[0].s);
    if (s > last) {
      seen.push([s, now]);
      last = s;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  await client.end();
  process.stdout.write(JSON.stringify(seen));
}

function child(args, stdinOpen) {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], { stdio: [stdinOpen ? 'pipe' : 'ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  const done = new Promise((resolve, reject) => proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${args[0]} exited ${code}`)))));
  return { proc, done };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const seconds = Number(process.env.BENCH_SECONDS ?? 40);
  const rate = Number(process.env.BENCH_RATE ?? 10_000);
  psql('postgres', `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '${SLOT}'`);
  recreateDatabase(SRC);
  recreateDatabase(DST);
  psql(SRC, 'CREATE TABLE lag_events (seq bigint PRIMARY KEY, committed_at timestamptz NOT NULL, pad text)');
  psql(SRC, "INSERT INTO lag_events VALUES (0, now(), 'seed')");
  const tuning = ['batch_rows', 'flush_ms'].flatMap((key) => (process.env[`BENCH_${key.toUpperCase()}`] ? [`  ${key}: ${Number(process.env[`BENCH_${key.toUpperCase()}`])}\n`] : [])).join('');
  const sync = `source: src\ndestination: dst\ncdc:\n  slot: ${SLOT}\n${tuning}streams:\n  public.lag_events:\n    mode: cdc\n`;
  const dir = makeProject({ src: { type: 'postgres', url: `${PG}/${SRC}` }, dst: { type: 'postgres', url: `${PG}/${DST}` } }, sync);
  const project = await loadProject(dir, { connectorSchemas: connectorSchemas() });
  const state = await openStateStore(project.state, project.dir);
  const settings = project.syncs.get('bench').cdc;
  console.log(`cdc lag: ${rate.toLocaleString('en-US')} changes/s for ${seconds} s; batch_rows ${settings?.batch_rows ?? 10000}, flush_ms ${settings?.flush_ms ?? 500}`);
  const first = await runSync({ project, state, sync: 'bench' }); // publication, slot, snapshot of the seed row
  if (first.status !== 'success') throw new Error(`first run ${first.status}: ${first.error}`);

  const controller = new AbortController();
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const following = runSync({ project, state, sync: 'bench', follow: true, signal: controller.signal });
  const dst = new pg.Client({ connectionString: `${PG}/${DST}` });
  await dst.connect();
  const maxSeq = async () => Number((await dst.query('SELECT coalesce(max(seq), 0)::bigint AS s FROM public.lag_events')).rows[0].s);
  const waitFor = async (seq, what) => {
    const deadline = performance.now() + 300_000;
    while ((await maxSeq()) < seq) {
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  // Warm-up: the first change waits for the stream to start.
  psql(SRC, "INSERT INTO lag_events VALUES (-1, now(), 'warm-up')");
  await new Promise((r) => setTimeout(r, 200));
  while ((await dst.query('SELECT count(*)::int AS n FROM public.lag_events WHERE seq = -1')).rows[0].n === 0) await new Promise((r) => setTimeout(r, 20));

  const poll = child(['poller'], true);
  const write = child(['writer', String(rate), String(seconds)], false);
  const written = await write.done;
  await waitFor(written.rows, 'the last row');
  await new Promise((r) => setTimeout(r, 3 * POLL_MS));
  poll.proc.stdin.end();
  const seen = await poll.done;
  controller.abort();
  const result = await following;
  clearInterval(sampler);
  await dst.end();
  await state.close();
  if (result.status !== 'cancelled') throw new Error(`--follow ended ${result.status}: ${result.error}`);

  const committed = psql(SRC, 'SELECT seq, (extract(epoch FROM committed_at) * 1000)::bigint FROM lag_events WHERE seq > 0 ORDER BY seq')
    .trim()
    .split('\n')
    .map((line) => line.split('|').map(Number));
  const landed = Number(psql(DST, 'SELECT count(*) FROM public.lag_events WHERE seq > 0').trim());
  if (landed !== written.rows || committed.length !== written.rows) throw new Error(`destination has ${landed} rows, source ${committed.length}, writer wrote ${written.rows}`);
  const lags = [];
  let k = 0;
  for (const [seq, at] of committed) {
    while (seen[k][0] < seq) k++;
    lags.push(seen[k][1] - at);
  }
  lags.sort((a, b) => a - b);
  const [load1] = loadavg();
  console.log(`\nCDC end-to-end lag: commit in the source -> visible in the destination (ferry run --follow, PG -> PG)`);
  console.log(`  changes             ${written.rows.toLocaleString('en-US')} inserts in ${written.seconds.toFixed(1)} s = ${Math.round(written.rows / written.seconds).toLocaleString('en-US')} changes/s (target ${rate.toLocaleString('en-US')})`);
  console.log(`  lag p50             ${percentile(lags, 50)} ms`);
  console.log(`  lag p99             ${percentile(lags, 99)} ms   (target < 1000 ms)`);
  console.log(`  lag max             ${lags[lags.length - 1]} ms`);
  console.log(`  ferry peak RSS      ${Math.round(peak / 2 ** 20)} MiB`);
  console.log(`  load average        ${load1.toFixed(2)} on ${availableParallelism()} cores (poll every ${POLL_MS} ms counts against Ferry)`);

  psql('postgres', `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '${SLOT}'`);
  for (const db of [SRC, DST]) psql('postgres', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
}
