import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProjectDir } from './support/make-project-dir.js';
import { connectorSchemas } from '../src/connectors/connector-schemas.js';
import { loadProject } from '../src/config/load-project.js';
import { runSync } from '../src/engine/run-sync.js';
import { openStateStore } from '../src/state/index.js';

/**
 * SQLite and DuckDB compare table names ignoring case: two streams whose
 * targets differ only by case are one table, and the second load would replace
 * the first. The planner refuses them before anything is written; Postgres,
 * whose quoted names are case-sensitive, takes both.
 */
let dir: string;

beforeAll(async () => {
  dir = await makeProjectDir('ferry-collide-');
  const db = new Database(join(dir, 'app.db'));
  db.exec(`CREATE TABLE a (i INTEGER); INSERT INTO a VALUES (42); CREATE TABLE b (s TEXT); INSERT INTO b VALUES ('hello world');`);
  db.close();
  await writeFile(join(dir, 'ferry.yml'), 'name: collide\nconnections:\n  app: {type: sqlite, path: app.db}\n  out: {type: sqlite, path: out.db}\n  wh: {type: duckdb, path: wh.duckdb}\n');
  const streams = 'streams:\n  a: {target: SameCaseName}\n  b: {target: samecasename}\n';
  await writeFile(join(dir, 'syncs', 'to_sqlite.yml'), `source: app\ndestination: out\n${streams}`);
  await writeFile(join(dir, 'syncs', 'to_duckdb.yml'), `source: app\ndestination: wh\n${streams}`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(sync: string) {
  const project = await loadProject(dir, { connectorSchemas: connectorSchemas() });
  const state = await openStateStore(project.state, project.dir);
  try {
    return await runSync({ project, state, sync });
  } finally {
    await state.close();
  }
}

describe('targets that differ only by case', () => {
  for (const sync of ['to_sqlite', 'to_duckdb']) {
    it(`${sync}: are refused before anything is written, naming both streams and the file position`, async () => {
      const result = await run(sync);
      expect(result.status).toBe('failed');
      expect(result.exitCode).toBe(2);
      expect(result.streams).toEqual([]);
      expect(result.error).toContain(`syncs/${sync}.yml:5:3`);
      expect(result.error).toContain('streams "a" and "b" both write to SameCaseName and samecasename (one table: the destination ignores case in names)');
    });
  }

  it('nothing landed: the SQLite file was never created', () => {
    expect(existsSync(join(dir, 'out.db'))).toBe(false);
  });
});
