// Shared helpers for the benchmark scripts: temp projects, timing, peak RSS.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectorSchemas, loadProject, openStateStore, runSync } from '../dist/index.js';

export const PG = process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432';

// Baselines (psql, pg_recvlogical, pgloader) and Ferry both connect without TLS, so neither
// side pays for encryption when the server offers it (.ci/run turns it on for the TLS test).
process.env.PGSSLMODE ??= 'disable';

/** Run psql with arguments; returns stdout. */
export function psql(db, sql) {
  return execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', db, '-v', 'ON_ERROR_STOP=1', '-Atqc', sql], { encoding: 'utf8', maxBuffer: 1 << 26 });
}

export function recreateDatabase(name) {
  psql('postgres', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  psql('postgres', `CREATE DATABASE ${name}`);
}

/** Time a shell pipeline; resolves with seconds. */
export function timeShell(command) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`${command} exited ${code}`))));
  });
}

/** Write a one-sync project and return its folder. */
export function makeProject(connections, syncYaml) {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-bench-'));
  mkdirSync(join(dir, 'syncs'));
  const conn = Object.entries(connections)
    .map(([name, settings]) => `  ${name}:\n${Object.entries(settings).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`).join('\n')}`)
    .join('\n');
  writeFileSync(join(dir, 'ferry.yml'), `name: bench\nstate: sqlite:.ferry/state.db\ndefaults:\n  threads: 1\n  batch_size: 10000\nconnections:\n${conn}\n`);
  writeFileSync(join(dir, 'syncs', 'bench.yml'), syncYaml);
  return dir;
}

/** Run the project's `bench` sync in this process, sampling RSS; resolves with seconds, rows and peak RSS in MiB. */
export async function timeFerry(dir, options = {}) {
  const project = await loadProject(dir, { connectorSchemas: connectorSchemas() });
  const state = await openStateStore(project.state, project.dir);
  let peak = process.memoryUsage().rss;
  let peakHeap = 0;
  let peakExternal = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakExternal = Math.max(peakExternal, m.external + m.arrayBuffers);
  }, 50);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const result = await runSync({ project, state, sync: 'bench', ...options });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  await state.close();
  if (result.status !== 'success') throw new Error(`ferry run ${result.status}: ${result.error}`);
  const rows = result.streams.reduce((n, s) => n + s.rowsWritten, 0);
  return { seconds, rows, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakMiB: Math.round(peak / 2 ** 20), peakHeapMiB: Math.round(peakHeap / 2 ** 20), peakExternalMiB: Math.round(peakExternal / 2 ** 20) };
}

export function report(title, rows, baseline, ferry) {
  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  console.log(`\n${title}`);
  console.log(`  rows                ${fmt(rows)}`);
  console.log(`  baseline            ${baseline.seconds.toFixed(2)} s  ${fmt(rows / baseline.seconds)} rows/s  (${baseline.label})`);
  console.log(`  ferry               ${ferry.seconds.toFixed(2)} s  ${fmt(rows / ferry.seconds)} rows/s`);
  console.log(`  ratio (ferry/base)  ${(baseline.seconds / ferry.seconds).toFixed(2)}x`);
  console.log(`  ferry peak RSS      ${ferry.peakMiB} MiB (JS heap ${ferry.peakHeapMiB} MiB, buffers ${ferry.peakExternalMiB} MiB)`);
  // Ferry's own process; the database servers' CPU is not counted on either side.
  if (ferry.cpuSeconds !== undefined) console.log(`  ferry process CPU   ${ferry.cpuSeconds.toFixed(2)} s (user + system)`);
  const [load1] = loadavg();
  console.log(`  load average        ${load1.toFixed(2)} on ${availableParallelism()} cores (other work on the machine slows both sides)`);
}

/** Rows to generate: the first argument, else BENCH_ROWS, else `fallback` (5M). */
export function benchRows(fallback = 5_000_000) {
  const text = process.argv[2] ?? process.env.BENCH_ROWS;
  const rows = Number(text ?? fallback);
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`row count must be a positive integer, got ${JSON.stringify(text)}`);
  return rows;
}

export function dropDatabases(...names) {
  for (const name of names) psql('postgres', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/** Shell-quote one argument. */
export function sh(text) {
  return `'${String(text).replace(/'/g, `'\\''`)}'`;
}

/** A psql command line (for pipelines) running `sql` on `db`, with Ferry's session zone (UTC). */
export function psqlCommand(db, sql, extra = '') {
  return `PGOPTIONS='-c TimeZone=UTC' psql -h 127.0.0.1 -U postgres -d ${db} -v ON_ERROR_STOP=1 -Atq ${extra} -c ${sh(sql)}`;
}

/** md5 of the text COPY of `select` (which should have an ORDER BY): equal digests mean equal tables. */
export function dumpDigest(db, select) {
  return execFileSync('bash', ['-o', 'pipefail', '-c', `${psqlCommand(db, `COPY (${select}) TO STDOUT`)} | md5sum`], { encoding: 'utf8' }).split(' ')[0];
}

/** Throw unless two tables hold the same rows (ordered dump digests). */
export function assertSameTable(dbA, selectA, dbB, selectB, what) {
  const a = dumpDigest(dbA, selectA);
  const b = dumpDigest(dbB, selectB);
  if (a !== b) throw new Error(`${what}: the two end states differ (md5 ${a} vs ${b})`);
  console.log(`  verified            ${what}: identical (md5 ${a})`);
}

/** Run `cleanUp` (synchronous: psql, rm) when the process exits, also after a failure, so no database or file is left behind. */
export function cleanUpOnExit(cleanUp) {
  process.on('exit', () => {
    try {
      cleanUp();
    } catch (error) {
      console.error(`clean-up failed: ${error.message}`);
    }
  });
}

/**
 * CPU seconds (user + system) spent by the Postgres backends serving `databases`
 * while `work` runs: their pids are polled from pg_stat_activity every 50 ms and
 * /proc/<pid>/stat is read for each; a backend's last sample before it exits is
 * what counts, so up to 50 ms per backend may be missed (Linux only).
 */
export async function serverCpuDuring(databases, work) {
  const { default: pg } = await import('pg');
  const { readFileSync } = await import('node:fs');
  const client = new pg.Client({ connectionString: `${PG}/postgres` });
  await client.connect();
  const ticks = 100; // USER_HZ on Linux
  const seen = new Map();
  const sample = async () => {
    const { rows } = await client.query('SELECT pid FROM pg_stat_activity WHERE datname = ANY($1) AND pid <> pg_backend_pid()', [databases]);
    for (const { pid } of rows) {
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        seen.set(pid, (Number(fields[11]) + Number(fields[12])) / ticks);
      } catch {
        // The backend exited between the query and the read.
      }
    }
  };
  let polling = true;
  const poller = (async () => {
    while (polling) {
      await sample();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  try {
    const result = await work();
    return { result, serverCpuSeconds: [...seen.values()].reduce((a, b) => a + b, 0) };
  } finally {
    polling = false;
    await poller;
    await client.end();
  }
}
