import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProjectDir } from './support/make-project-dir.js';
import { openStateStore } from '../src/state/index.js';
import type { RunStreamRecord } from '../src/state/state-store.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { withDuckDb } from './support/with-duckdb.js';

/**
 * A chunked run killed with SIGKILL right after its first chunks commit resumes
 * from them: the next run reads only the chunks that were not committed, and
 * the target ends exact. Changing `chunks` in between keeps the stored plan;
 * changing the read itself starts over, and says so.
 */
const BIN = resolve('bin/ferry.js');
const ROWS = 60_000;

let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase('chunkkill');
  await db.query(`CREATE TABLE src (id bigint PRIMARY KEY, payload text NOT NULL, amount numeric(14,4), updated_at timestamptz NOT NULL)`);
  await db.query(`INSERT INTO src SELECT g, repeat('p', 40) || g, g / 7.0, timestamptz '2025-01-01' + (g % 1000) * interval '1.5 ms' FROM generate_series(1, ${ROWS}) g`);
  await db.query('CREATE SCHEMA dst');
  dir = await makeProjectDir('ferry-chunkkill-');
  await writeFile(join(dir, 'ferry.yml'), `name: ck\nstate: sqlite:.ferry/state.db\ndefaults:\n  threads: 2\n  batch_size: 2000\nconnections:\n  pg:\n    type: postgres\n    url: ${db.url}\n  lite:\n    type: sqlite\n    path: out.db\n  duck:\n    type: duckdb\n    path: out.duckdb\n`);
});

afterAll(async () => {
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Run the CLI; with `killAfterCommits`, SIGKILL it as soon as that many chunk commits were logged. */
function ferry(sync: string, killAfterCommits?: number): Promise<{ code: number | null; killed: boolean; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, 'run', sync, '--log-format', 'text', '-v', '--project', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let killed = false;
    const watch = (data: Buffer): void => {
      output += data.toString();
      const commits = output.split('\n').filter((l) => l.includes('committed:')).length;
      if (killAfterCommits !== undefined && !killed && commits >= killAfterCommits) killed = child.kill('SIGKILL');
    };
    child.stdout.on('data', watch);
    child.stderr.on('data', watch);
    child.on('exit', (code) => done({ code, killed, output }));
  });
}

async function writeSync(name: string, settings: string, destination = 'pg'): Promise<void> {
  await writeFile(join(dir, 'syncs', `${name}.yml`), `source: pg\ndestination: ${destination}\nstreams:\n  public.src:\n${settings}`);
}

/** Rows as `id|payload|amount` lines in id order, hashed: equal hashes, equal tables. */
function digest(rows: readonly (readonly unknown[])[]): { rows: number; hash: string; first: string } {
  const hash = createHash('sha256');
  for (const row of rows) hash.update(`${row.map((v) => String(v)).join('|')}\n`);
  return { rows: rows.length, hash: hash.digest('hex'), first: rows[0]?.map((v) => String(v)).join('|') ?? '' };
}

async function sourceDigest(): Promise<{ rows: number; hash: string; first: string }> {
  const result = await db.query<{ id: string; payload: string; amount: string | null }>('SELECT s.id::text AS id, s.payload, s.amount::text AS amount FROM src s ORDER BY s.id');
  return digest(result.rows.map((r) => [r.id, r.payload, r.amount]));
}

async function lastRun(sync: string): Promise<{ stream: RunStreamRecord; log: string[] }> {
  const state = await openStateStore('sqlite:.ferry/state.db', dir);
  try {
    const [run] = await state.listRuns({ sync, limit: 1 });
    if (!run) throw new Error(`no run of ${sync}`);
    const [stream] = await state.listRunStreams(run.id);
    if (!stream) throw new Error(`no stream in run ${run.id}`);
    return { stream, log: (await state.readLog(run.id)).map((l) => l.message) };
  } finally {
    await state.close();
  }
}

async function differences(target: string, columns = '*', where = 'true'): Promise<number> {
  const sql = `SELECT count(*)::int AS n FROM ((SELECT ${columns} FROM src WHERE ${where} EXCEPT ALL SELECT ${columns} FROM ${target}) UNION ALL (SELECT ${columns} FROM ${target} EXCEPT ALL SELECT ${columns} FROM src WHERE ${where})) d`;
  return (await db.query<{ n: number }>(sql)).rows[0]?.n ?? -1;
}

/** Rows and chunk count the resume log line reports as already committed. */
function resumed(log: readonly string[]): { chunks: number; rows: number; planned: number } | undefined {
  for (const line of log) {
    const m = /resuming the (\d+)-chunk plan of run \S+: (\d+) chunk\(s\) with (\d+) rows already committed/.exec(line);
    if (m) return { planned: Number(m[1]), chunks: Number(m[2]), rows: Number(m[3]) };
  }
  return undefined;
}

/**
 * SIGKILL an 8-chunk run after 2 chunk commits, run again: the rerun resumes the
 * plan and reads exactly the chunks that were not committed.
 */
async function killThenResume(sync: string): Promise<{ log: string[] }> {
  const killed = await ferry(sync, 2);
  expect(killed.killed, killed.output).toBe(true);
  const resumedRun = await ferry(sync);
  expect(resumedRun.code, resumedRun.output).toBe(0);
  const { stream, log } = await lastRun(sync);
  const done = resumed(log);
  expect(done, log.join('\n')).toBeDefined();
  expect(done?.planned).toBe(8);
  expect(done?.chunks).toBeGreaterThanOrEqual(2);
  expect(done?.chunks).toBeLessThan(8);
  // The committed chunks were not read again: this run read exactly the rest.
  expect(stream.rowsRead).toBe(ROWS - (done?.rows ?? 0));
  expect(log.filter((l) => l.includes('committed:'))).toHaveLength(8 - (done?.chunks ?? 0));
  return { log };
}

describe('a killed chunked run resumes from its committed chunks', () => {
  it.each(['replace', 'merge', 'append'])('%s', async (write) => {
    const sync = `kill_${write}`;
    await writeSync(sync, `    write: ${write}\n    target: dst.${write}_t\n    chunks: 8\n    parallelism: 1\n`);
    await killThenResume(sync);
    expect(await differences(`dst.${write}_t`)).toBe(0);
    const leftovers = await db.query(`SELECT relname FROM pg_class WHERE relname LIKE '\\_ferry\\_chunked%' OR relname LIKE '\\_ferry\\_stage%'`);
    expect(leftovers.rows).toEqual([]);
    // Done: the next run plans afresh instead of resuming a finished plan.
    const again = await ferry(sync);
    expect(again.code, again.output).toBe(0);
    const next = await lastRun(sync);
    expect(resumed(next.log)).toBeUndefined();
    expect(next.stream.rowsRead).toBe(ROWS);
  }, 120_000);

  it('keeps the stored plan when only chunks/parallelism change', async () => {
    const sync = 'kill_settings';
    await writeSync(sync, `    target: dst.settings_t\n    chunks: 8\n    parallelism: 1\n`);
    expect((await ferry(sync, 3)).killed).toBe(true);
    await writeSync(sync, `    target: dst.settings_t\n    chunks: 3\n    parallelism: 2\n`);
    const resume = await ferry(sync);
    expect(resume.code, resume.output).toBe(0);
    const { stream, log } = await lastRun(sync);
    const done = resumed(log);
    expect(done?.planned, log.join('\n')).toBe(8);
    expect(stream.rowsRead).toBe(ROWS - (done?.rows ?? 0));
    expect(await differences('dst.settings_t')).toBe(0);
  }, 120_000);

  it('starts over, and says why, when the read changed', async () => {
    const sync = 'kill_changed';
    await writeSync(sync, `    target: dst.changed_t\n    chunks: 8\n    parallelism: 1\n`);
    expect((await ferry(sync, 2)).killed).toBe(true);
    await writeSync(sync, `    target: dst.changed_t\n    chunks: 4\n    parallelism: 2\n    columns: [id, payload]\n    where: id % 2 = 0\n`);
    const rerun = await ferry(sync);
    expect(rerun.code, rerun.output).toBe(0);
    const { stream, log } = await lastRun(sync);
    expect(resumed(log)).toBeUndefined();
    expect(log.some((l) => l.startsWith('starting over: the read changed since run'))).toBe(true);
    expect(stream.rowsRead).toBe(ROWS / 2);
    expect(await differences('dst.changed_t', 'id, payload', 'id % 2 = 0')).toBe(0);
    const shape = await db.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'dst' AND table_name = 'changed_t' ORDER BY ordinal_position`);
    expect(shape.rows.map((r) => r.column_name)).toEqual(['id', 'payload']);
  }, 120_000);

  it.each([
    ['SQLite', 'lite'],
    ['DuckDB', 'duck'],
  ])('replace into %s: resumes from the committed chunks, then swaps the table in', async (_name, destination) => {
    const sync = `kill_replace_${destination}`;
    await writeSync(sync, `    write: replace\n    target: src_t\n    chunks: 8\n    parallelism: 1\n`, destination);
    const landed = async (): Promise<{ digest: { rows: number; hash: string; first: string }; tables: string[] }> => {
      if (destination === 'lite') {
        const out = new Database(join(dir, 'out.db'), { readonly: true });
        try {
          const rows = out.prepare('SELECT CAST(id AS TEXT), payload, CAST(amount AS TEXT) FROM src_t ORDER BY id').raw().all() as unknown[][];
          const tables = out.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE '\\_ferry\\_chunked%' ESCAPE '\\' OR name LIKE '\\_ferry\\_stage%' ESCAPE '\\')`).pluck().all() as string[];
          return { digest: digest(rows), tables };
        } finally {
          out.close();
        }
      }
      return withDuckDb(join(dir, 'out.duckdb'), async (connection) => {
        const rows = (await connection.runAndReadAll('SELECT id::VARCHAR, payload, amount::VARCHAR FROM main.src_t ORDER BY id')).getRows();
        const tables = (await connection.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '\\_ferry\\_chunked%' ESCAPE '\\' OR table_name LIKE '\\_ferry\\_stage%' ESCAPE '\\'`)).getRows().map((r) => String(r[0]));
        return { digest: digest(rows), tables };
      });
    };
    const { log } = await killThenResume(sync);
    expect(log.some((l) => l.startsWith(`published ${ROWS} rows of 8 chunks`)), log.join('\n')).toBe(true);
    const expected = await sourceDigest();
    expect(expected.rows).toBe(ROWS);
    const first = await landed();
    expect(first.digest).toEqual(expected);
    expect(first.tables).toEqual([]);
    // A second, uninterrupted run replaces the table it published, with the rows changed since.
    await db.query(`UPDATE src SET payload = payload || '!' WHERE id % 997 = 3`);
    const again = await ferry(sync);
    expect(again.code, again.output).toBe(0);
    expect(resumed((await lastRun(sync)).log)).toBeUndefined();
    const second = await landed();
    expect(second.digest).toEqual(await sourceDigest());
    expect(second.digest.hash).not.toBe(first.digest.hash);
    expect(second.tables).toEqual([]);
  }, 120_000);

  it('incremental: the cursor stays put until every chunk of its window is in', async () => {
    const sync = 'kill_incremental';
    await writeSync(sync, `    mode: incremental\n    cursor: updated_at\n    write: merge\n    target: dst.incremental_t\n    chunks: 8\n    parallelism: 1\n`);
    const killed = await ferry(sync, 2);
    expect(killed.killed, killed.output).toBe(true);
    const state = await openStateStore('sqlite:.ferry/state.db', dir);
    const pending = await state.getCheckpoint(sync, 'public.src').finally(() => state.close());
    expect(pending?.state.cursor).toBeUndefined();
    expect(pending?.state.chunks?.cursorTo).toBe('2025-01-01T00:00:01.4985Z');
    expect(pending?.state.chunks?.done.length).toBeGreaterThanOrEqual(2);
    // Rows changed meanwhile get a cursor above the window: the resumed run leaves them to the next one.
    await db.query(`UPDATE src SET amount = -amount, updated_at = timestamptz '2025-06-01' WHERE id % 1000 = 7`);
    const resume = await ferry(sync);
    expect(resume.code, resume.output).toBe(0);
    const { stream, log } = await lastRun(sync);
    const done = resumed(log);
    expect(done?.planned, log.join('\n')).toBe(8);
    const after = await openStateStore('sqlite:.ferry/state.db', dir);
    const finished = await after.getCheckpoint(sync, 'public.src').finally(() => after.close());
    expect(finished?.state.chunks).toBeUndefined();
    expect(finished?.state.cursor?.value).toBe('2025-01-01T00:00:01.4985Z');
    expect(stream.rowsRead).toBeLessThanOrEqual(ROWS - (done?.rows ?? 0));
    const next = await ferry(sync);
    expect(next.code, next.output).toBe(0);
    expect(await differences('dst.incremental_t')).toBe(0);
  }, 120_000);
});
