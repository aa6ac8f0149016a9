import { execFile, spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProjectDir } from './support/make-project-dir.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';

/**
 * SIGTERM / SIGINT while a run is copying: reading stops, staged rows are
 * dropped, the target and the checkpoints stay as they were, the run is
 * recorded as `cancelled` and the process exits 130.
 */
const BIN = resolve('bin/ferry.js');
let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase('signals');
  await db.query(`CREATE TABLE big (id bigint PRIMARY KEY, body text, updated_at timestamptz NOT NULL)`);
  await db.query(`INSERT INTO big SELECT g, repeat('x', 200), timestamptz '2025-01-01' + g * interval '1 ms' FROM generate_series(1, 400000) g`);
  await db.query(`CREATE SCHEMA dst; CREATE TABLE dst.big (id bigint PRIMARY KEY, body text, updated_at timestamptz NOT NULL); INSERT INTO dst.big VALUES (0, 'before', now())`);
  dir = await makeProjectDir('ferry-signals-');
  await writeFile(join(dir, 'ferry.yml'), `name: sig\nconnections:\n  pg:\n    type: postgres\n    url: ${db.url}\n`);
  // A query stream is decoded row by row (no pass-through), so the copy takes a while.
  await writeFile(join(dir, 'syncs', 's.yml'), `source: pg\ndestination: pg\nstreams:\n  big:\n    sql: select id, body, updated_at from public.big\n    mode: incremental\n    cursor: updated_at\n    write: merge\n    primary_key: [id]\n    target: dst.big\n`);
});

afterAll(async () => {
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function startRun(): { done: Promise<number | null>; stop: (signal: NodeJS.Signals) => void; firstProgress: Promise<void> } {
  const child = spawn(process.execPath, [BIN, 'run', '--project', dir, '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let resolveProgress: () => void = () => undefined;
  const firstProgress = new Promise<void>((r) => (resolveProgress = r));
  child.stderr.on('data', (d: Buffer) => {
    if (d.toString().includes('"stream_progress"')) resolveProgress();
  });
  return {
    done: new Promise((r) => child.on('exit', (code) => r(code))),
    stop: (signal) => child.kill(signal),
    firstProgress,
  };
}

describe('signals', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} mid-copy rolls back and records the run as cancelled`, async () => {
      const run = startRun();
      await run.firstProgress;
      run.stop(signal);
      expect(await run.done).toBe(130);
      const target = await db.query<{ n: string }>('SELECT count(*) AS n FROM dst.big');
      expect(Number(target.rows[0]?.n)).toBe(1);
      const staging = await db.query<{ n: string }>(`SELECT count(*) AS n FROM pg_tables WHERE tablename LIKE '\\_ferry\\_stage%'`);
      expect(Number(staging.rows[0]?.n)).toBe(0);
      const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'history', '--json', '--project', dir]);
      const [last] = JSON.parse(stdout) as { status: string }[];
      expect(last?.status).toBe('cancelled');
      const { stdout: state } = await promisify(execFile)(process.execPath, [BIN, 'state', 'get', 's', '--json', '--project', dir]);
      expect(JSON.parse(state)).toEqual([]);
    });
  }
});
