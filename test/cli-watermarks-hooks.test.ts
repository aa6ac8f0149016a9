import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProjectDir } from './support/make-project-dir.js';

/** What `ferry run --dry-run`, `ferry history` and `ferry logs` show of filters, watermarks and hooks. */
const BIN = resolve('bin/ferry.js');
const exec = promisify(execFile);

let dir: string;

async function ferry(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await exec(process.execPath, [BIN, ...args, '--project', dir], { env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

beforeAll(async () => {
  dir = await makeProjectDir('ferry-cli-wh-');
  const db = new Database(join(dir, 'app.db'));
  db.exec(`CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT, at TIMESTAMP);
    INSERT INTO events VALUES (1, 'click', '2025-01-01 00:00:00'), (2, 'view', '2025-01-02 00:00:00'), (3, NULL, '2025-01-03 00:00:00');`);
  db.close();
  await writeFile(join(dir, 'ferry.yml'), 'name: cliwh\nconnections:\n  app: { type: sqlite, path: app.db }\n  wh: { type: duckdb, path: wh.duckdb }\n');
  await writeFile(
    join(dir, 'syncs', 'app.yml'),
    `source: app
destination: wh
watermarks:
  seen: { sql: "select max(id) from main.events", default: 0 }
hooks:
  after: ["select count(*) as n from main.events"]
streams:
  events:
    sql: "select * from events where id > {seen}"
    write: append
    target: main.events
    filters: [{ column: kind, op: ne, value: view }]
`,
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ferry CLI: watermarks, filters and hooks', () => {
  it('dry run shows the resolved watermark, the filter in the SQL and the hooks it would run', async () => {
    const { code, stdout } = await ferry('run', '--dry-run');
    expect(code).toBe(0);
    expect(stdout).toMatch(/seen\s+\|?\s*\(sync\)\s+\|?\s*0\s+\|?\s*string\s+\|?\s*default \(query failed\)/);
    expect(stdout).toContain(`WHERE ("kind" <> ? OR "kind" IS NULL) -- ? = "view"`);
    expect(stdout).toContain(`where id > '0'`);
  });

  it('history and logs show the watermark values and the hook results of a run', async () => {
    expect((await ferry('run')).code).toBe(0);
    expect((await ferry('run')).code).toBe(0);
    const history = await ferry('history');
    expect(history.stdout).toContain('seen=3');
    expect(history.stdout).toContain('seen=0');
    const logs = await ferry('logs', 'last');
    expect(logs.stdout).toContain('watermark {seen} = 3 (query on wh)');
    expect(logs.stdout).toContain('sync hook 1 (success) done: 1 row(s) returned');
    expect(logs.stdout).toMatch(/-- hook 1 returned:\s+n\s+-+\s+2/);
  });
});
