import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProjectDir } from './support/make-project-dir.js';
import { withDuckDb } from './support/with-duckdb.js';

/** The `ferry` binary end to end: a user's project, SQLite -> DuckDB, every command. */
const BIN = resolve('bin/ferry.js');
const run = promisify(execFile);

let dir: string;

async function ferry(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args, '--project', dir], { env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function warehouse(sql: string): Promise<unknown[][]> {
  return withDuckDb(join(dir, 'warehouse.duckdb'), async (conn) => (await conn.runAndReadAll(sql)).getRows() as unknown[][]);
}

beforeAll(async () => {
  dir = await makeProjectDir('ferry-cli-');
  await mkdir(join(dir, 'data'));
  const db = new Database(join(dir, 'data', 'app.db'));
  db.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, score DECIMAL_TEXT(10,2), updated_at TIMESTAMP);
    INSERT INTO users VALUES (1, 'a@x.io', '10.50', '2025-01-01 00:00:00.000001'), (2, 'b@x.io', NULL, '2025-01-02 00:00:00'), (3, 'ç@x.io', '-0.01', '2025-01-02 00:00:00');
    CREATE TABLE tags (name TEXT);
    INSERT INTO tags VALUES ('x'), ('y');`);
  db.close();
  await writeFile(join(dir, 'ferry.yml'), `name: cli\nconnections:\n  app:\n    type: sqlite\n    path: data/app.db\n  wh:\n    type: duckdb\n    path: warehouse.duckdb\n`);
  await writeFile(
    join(dir, 'syncs', 'app.yml'),
    `source: app\ndestination: wh\ntags: [daily]\nstreams:\n  users:\n    mode: incremental\n    cursor: updated_at\n    write: merge\n  tags:\n    write: replace\n`,
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ferry CLI', () => {
  it('validate, dry run, run, history, logs, state', async () => {
    const valid = await ferry('validate', '--connect');
    expect(valid.code, valid.stderr).toBe(0);
    expect(valid.stdout).toMatch(/ok +app/);

    const dry = await ferry('run', '--dry-run', '--log-format', 'text');
    expect(dry.code, dry.stderr).toBe(0);
    await expect(readFile(join(dir, 'warehouse.duckdb'))).rejects.toThrow('ENOENT');
    expect(dry.stdout).toMatch(/users +main\.users +incremental +merge .* 3/);

    const first = await ferry('run', '--select', 'tag:daily', '--log-format', 'text');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/Sync app: success/);
    expect(await warehouse('SELECT id, email, score::VARCHAR, updated_at::VARCHAR FROM main.users ORDER BY id')).toEqual([
      [1n, 'a@x.io', '10.50', '2025-01-01 00:00:00.000001'],
      [2n, 'b@x.io', null, '2025-01-02 00:00:00'],
      [3n, 'ç@x.io', '-0.01', '2025-01-02 00:00:00'],
    ]);

    const db = new Database(join(dir, 'data', 'app.db'));
    db.exec(`UPDATE users SET score = '99.99', updated_at = '2025-02-01 00:00:00' WHERE id = 2; INSERT INTO users VALUES (4, 'd@x.io', '1.00', '2025-01-02 00:00:00');`);
    db.close();
    // Rows >= the cursor (2025-01-02): 2 (moved on), 3 (delivered: skipped) and 4 (late, same value).
    const planned = await ferry('run', 'app', '--stream', 'users', '--dry-run', '--log-format', 'text');
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toMatch(/new rows +boundary rows \(skipped\)/);
    expect(planned.stdout).toMatch(/users +main\.users +incremental +merge +checkpoint 2025-01-02T00:00:00 +2 +1\n/);
    const second = await ferry('run', 'app', '--stream', 'users', '--log-format', 'json');
    expect(second.code, second.stderr).toBe(0);
    const events = second.stderr.trim().split('\n').map((l) => JSON.parse(l) as { type: string; rowsWritten?: number });
    expect(events.find((e) => e.type === 'stream_end')?.rowsWritten).toBe(2);
    expect(await warehouse('SELECT id, score::VARCHAR FROM main.users ORDER BY id')).toEqual([[1n, '10.50'], [2n, '99.99'], [3n, '-0.01'], [4n, '1.00']]);

    const history = await ferry('history', '--json');
    const runs = JSON.parse(history.stdout) as { status: string; rowsWritten: number }[];
    expect(runs.map((r) => r.status)).toEqual(['success', 'dry_run', 'success', 'dry_run']);
    expect(runs[0]?.rowsWritten).toBe(2);

    const logs = await ferry('logs', 'last');
    expect(logs.stdout).toContain('checkpoint');
    expect(logs.stdout).toMatch(/users +success/);

    const state = await ferry('state', 'get', 'app', '--json');
    const checkpoints = JSON.parse(state.stdout) as { stream: string; state: { cursor: { value: string } } }[];
    expect(checkpoints.find((c) => c.stream === 'users')?.state.cursor.value).toBe('2025-02-01T00:00:00');

    expect((await ferry('state', 'reset', 'app', 'users')).code).toBe(0);
    const reread = await ferry('run', 'app', '--stream', 'users', '--log-format', 'json');
    const reEvents = reread.stderr.trim().split('\n').map((l) => JSON.parse(l) as { type: string; rowsRead?: number });
    expect(reEvents.find((e) => e.type === 'stream_end')?.rowsRead).toBe(4);

    const set = await ferry('state', 'set', 'app', 'users', '--cursor', 'updated_at', '--kind', 'timestamp', '--value', '2025-01-02T00:00:00');
    expect(set.code, set.stderr).toBe(0);
    const fromSet = await ferry('run', 'app', '--stream', 'users', '--log-format', 'json');
    const setEvents = fromSet.stderr.trim().split('\n').map((l) => JSON.parse(l) as { type: string; rowsRead?: number });
    // rows 2, 3 and 4 have updated_at >= 2025-01-02 (inclusive); row 1 does not.
    expect(setEvents.find((e) => e.type === 'stream_end')?.rowsRead).toBe(3);

    const status = await ferry('status');
    expect(status.stdout).toMatch(/app +\S+ +success/);
  });

  it('discover lists tables, columns, types and keys', async () => {
    const json = await ferry('discover', 'app', '--json');
    expect(json.code, json.stderr).toBe(0);
    const streams = JSON.parse(json.stdout) as { name: string; primaryKey: string[]; columns: { name: string; type: { kind: string; precision?: number; scale?: number } }[] }[];
    const users = streams.find((s) => s.name === 'users');
    expect(users?.primaryKey).toEqual(['id']);
    expect(users?.columns.map((c) => [c.name, c.type.kind])).toEqual([['id', 'int64'], ['email', 'string'], ['score', 'decimal'], ['updated_at', 'timestamp']]);
    expect(users?.columns[2]?.type).toMatchObject({ precision: 10, scale: 2 });
    const text = await ferry('discover', 'app');
    expect(text.stdout).toMatch(/score +decimal\(10,2\) +DECIMAL_TEXT\(10,2\) +yes/);
  });

  it('exit codes: 2 for config errors with file:line:col, 3 for connection errors', async () => {
    await writeFile(join(dir, 'syncs', 'broken.yml'), 'source: app\ndestination: wh\nstreams:\n  users:\n    curser: updated_at\n');
    const bad = await ferry('validate');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/broken\.yml:5:5/);
    expect(bad.stderr).toContain('cursor');
    await rm(join(dir, 'syncs', 'broken.yml'));

    const original = await readFile(join(dir, 'ferry.yml'), 'utf8');
    await writeFile(join(dir, 'ferry.yml'), `${original}  pg:\n    type: postgres\n    url: postgres://nobody:s3cret@127.0.0.1:1/none\n`);
    const doctor = await ferry('doctor');
    expect(doctor.code).toBe(3);
    expect(doctor.stdout).toMatch(/FAIL +pg/);
    expect(doctor.stdout + doctor.stderr).not.toContain('s3cret');
    await writeFile(join(dir, 'ferry.yml'), original);
  });

  it('init scaffolds a project that validates, and schema prints JSON Schema', async () => {
    const target = join(dir, 'scaffold');
    const init = await ferry('init', target);
    expect(init.code, init.stderr).toBe(0);
    const yml = await readFile(join(target, 'ferry.yml'), 'utf8');
    expect(yml).toContain('#');
    const validate = await run(process.execPath, [BIN, 'validate', '--project', target]);
    expect(validate.stdout).toContain('valid');
    const schema = JSON.parse((await ferry('schema')).stdout) as { properties?: Record<string, unknown> };
    expect(Object.keys(schema.properties ?? {})).toEqual(expect.arrayContaining(['name', 'state', 'connections', 'defaults']));
  });

  it('builds the command line without loading drivers, the config loader or the state store (they load when a command runs)', async () => {
    // CommonJS packages imported from ESM land in require's cache: after loading the CLI, none of them may be there.
    const probe = `import { createRequire } from 'node:module';
      const { main } = await import(${JSON.stringify(resolve('dist/cli/main.js'))});
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).map((k) => /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(k)?.[1]).filter(Boolean);
      const before = [...new Set(loaded())].sort();
      await main(['node', 'ferry', '--version']);
      console.log(JSON.stringify({ before, after: [...new Set(loaded())].sort() }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe]);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\d+\.\d+\.\d+/);
    const { before, after } = JSON.parse(lines[1] as string) as { before: string[]; after: string[] };
    expect(before).toEqual(['commander']);
    expect(after).toEqual(['commander']);
    // And a command that needs them still works from the same entry point.
    const discover = await ferry('discover', 'app');
    expect(discover.code, discover.stderr).toBe(0);
    expect(discover.stdout).toContain('users');
  });
});
