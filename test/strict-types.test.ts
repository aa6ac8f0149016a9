import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeProjectDir } from './support/make-project-dir.js';
import { main } from '../src/cli/main.js';
import { loadProject } from '../src/config/load-project.js';
import { connectorSchemas } from '../src/connectors/connector-schemas.js';
import { runSync } from '../src/engine/run-sync.js';
import { openStateStore } from '../src/state/index.js';

/**
 * `strict_types` / `--strict-types`: a stream with a column the destination
 * would only map (SQLite has no interval or timestamp type) is refused before
 * anything is written; exact destinations (DuckDB) run as usual.
 */
let dir: string;

beforeAll(async () => {
  dir = await makeProjectDir('ferry-strict-');
  const db = new Database(join(dir, 'app.db'));
  db.exec(`CREATE TABLE events (id INTEGER PRIMARY KEY, name TEXT, span INTERVAL, at TIMESTAMP);
    INSERT INTO events VALUES (1, 'a', 'P1DT2H', '2025-01-01 00:00:00.5'), (2, NULL, NULL, NULL);
    CREATE TABLE plain (id INTEGER PRIMARY KEY, name TEXT);
    INSERT INTO plain VALUES (1, 'x'), (2, 'y');`);
  db.close();
  const connections = ['app: {type: sqlite, path: app.db}', 'lite: {type: sqlite, path: lite.db}', 'loose: {type: sqlite, path: loose.db}', 'wh: {type: duckdb, path: wh.duckdb}'];
  await writeFile(join(dir, 'ferry.yml'), `name: strict\nconnections:\n  ${connections.join('\n  ')}\n`);
  await writeFile(join(dir, 'syncs', 'to_lite.yml'), 'source: app\ndestination: lite\nstreams:\n  events: {strict_types: true}\n  plain: {}\n');
  await writeFile(join(dir, 'syncs', 'to_loose.yml'), 'source: app\ndestination: loose\nstreams:\n  events: {}\n  plain: {}\n');
  await writeFile(join(dir, 'syncs', 'to_wh.yml'), 'source: app\ndestination: wh\ndefaults: {strict_types: true}\nstreams:\n  events: {}\n  plain: {}\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(sync: string, strictTypes = false) {
  const project = await loadProject(dir, { connectorSchemas: connectorSchemas() });
  const state = await openStateStore(project.state, project.dir);
  try {
    return await runSync({ project, state, sync, strictTypes });
  } finally {
    await state.close();
  }
}

function tables(file: string): string[] {
  const db = new Database(join(dir, file), { readonly: true });
  try {
    return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_ferry%' ESCAPE '\\' ORDER BY name").pluck().all() as string[];
  } finally {
    db.close();
  }
}

describe('strict types', () => {
  it('refuses a strict stream whose columns SQLite would map, naming stream, column, both types and the mapping; nothing is written', async () => {
    const result = await run('to_lite');
    expect(result.status).toBe('failed');
    expect(result.exitCode).toBe(2);
    expect(result.streams).toEqual([]);
    const error = result.error ?? '';
    expect(error).toContain('strict types: 1 stream(s)');
    expect(error).toContain('stream events, column "span": INTERVAL (logical interval) -> INTERVAL_TEXT (INTEGER affinity) (mapped: ISO 8601 duration text (SQLite has no interval type))');
    expect(error).toContain('stream events, column "at": TIMESTAMP (logical timestamp) -> TIMESTAMP_TEXT (TEXT affinity) (mapped: canonical ISO 8601 text');
    expect(error).not.toContain('column "name"');
    expect(error).not.toContain('stream plain');
    expect(existsSync(join(dir, 'lite.db')) ? tables('lite.db') : []).toEqual([]);
  });

  it('without strict types the same streams land, the mapped columns as their documented text', async () => {
    const result = await run('to_loose');
    expect(result.status).toBe('success');
    const db = new Database(join(dir, 'loose.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT id, span, at, typeof(span) AS t FROM events ORDER BY id').all()).toEqual([
        { id: 1, span: 'P1DT2H', at: '2025-01-01T00:00:00.5', t: 'text' },
        { id: 2, span: null, at: null, t: 'null' },
      ]);
    } finally {
      db.close();
    }
  });

  it('--strict-types covers every stream: a sync of only exact columns runs, one with a mapped column is refused', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['node', 'ferry', 'run', 'to_lite', '--stream', 'plain', '--strict-types', '--log-format', 'text', '--project', dir])).toBe(0);
      expect(tables('lite.db')).toEqual(['plain']);
      expect(await main(['node', 'ferry', 'run', 'to_loose', '--strict-types', '--log-format', 'text', '--project', dir])).toBe(2);
    } finally {
      stderr.mockRestore();
      stdout.mockRestore();
    }
    const failed = await run('to_loose', true);
    expect(failed.error).toContain('stream events, column "span"');
    expect(failed.error).toContain('hint: drop the columns (exclude_columns)');
  });

  it('DuckDB holds every kind of these streams exactly, so strict_types in the sync defaults passes', async () => {
    const result = await run('to_wh');
    expect(result.status).toBe('success');
    expect(result.streams.map((s) => [s.stream, s.rowsWritten])).toEqual([['events', 2], ['plain', 2]]);
  });
});
