import Database from 'better-sqlite3';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProjectDir } from './support/make-project-dir.js';
import { runSyncFile } from './support/run-sync-file.js';
import { withDuckDb } from './support/with-duckdb.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';

/** SQLite sources split by rowid: every row lands exactly once in Postgres and in SQLite. */
let db: TestDatabase;
let dir: string;
const ROWS = 3000;

beforeAll(async () => {
  db = await createTestDatabase('chunksqlite');
  dir = await makeProjectDir('ferry-chunksqlite-');
  const source = new Database(join(dir, 'src.db'));
  source.exec(`CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price NUMERIC);
    CREATE TABLE loose (name TEXT, n INTEGER);`);
  const insert = source.prepare('INSERT INTO items VALUES (?, ?, ?)');
  const loose = source.prepare('INSERT INTO loose VALUES (?, ?)');
  source.transaction(() => {
    // Skewed ids: a dense run and a far-away tail.
    for (let i = 1; i <= ROWS; i++) insert.run(i <= 100 ? i : 10_000_000 + i, `item ${i}`, (i * 1.25).toFixed(2));
    for (let i = 1; i <= ROWS; i++) loose.run(`l${i % 50}`, i);
  })();
  source.close();
  await writeFile(join(dir, 'ferry.yml'), `name: cs\nstate: sqlite:.ferry/state.db\ndefaults:\n  threads: 2\n  batch_size: 250\nconnections:\n  duck:\n    type: duckdb\n    path: out.duckdb\n  lite:\n    type: sqlite\n    path: src.db\n  out:\n    type: sqlite\n    path: out.db\n  pg:\n    type: postgres\n    url: ${db.url}\n`);
});

afterAll(async () => {
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('chunked reads from SQLite', () => {
  it.each([2, 5, 8])('%i rowid chunks into Postgres (replace and append)', async (chunks) => {
    for (const write of ['replace', 'append']) {
      const { result, log } = await runSyncFile(dir, `pg_${write}_${chunks}`, `source: lite\ndestination: pg\nstreams:\n  items:\n    write: ${write}\n    target: public.items_${write}_${chunks}\n    chunks: ${chunks}\n    parallelism: 3\n  loose:\n    write: ${write}\n    target: public.loose_${write}_${chunks}\n    chunks: ${chunks}\n`);
      expect(result.status, `${result.error ?? ''}\n${log.join('\n')}`).toBe('success');
      expect(log.filter((l) => l.includes('committed:'))).toHaveLength(chunks * 2);
      const items = await db.query<{ n: string; s: string; d: string }>(`SELECT count(*) AS n, sum(id)::text AS s, count(DISTINCT id) AS d FROM public.items_${write}_${chunks}`);
      expect(Number(items.rows[0]?.n)).toBe(ROWS);
      expect(Number(items.rows[0]?.d)).toBe(ROWS);
      expect(items.rows[0]?.s).toBe(String(100 * 101 / 2 + (ROWS - 100) * 10_000_000 + ((ROWS * (ROWS + 1)) / 2 - 5050)));
      const loose = await db.query<{ n: string; s: string }>(`SELECT count(*) AS n, sum(n)::text AS s FROM public.loose_${write}_${chunks}`);
      expect(Number(loose.rows[0]?.n)).toBe(ROWS);
      expect(loose.rows[0]?.s).toBe(String((ROWS * (ROWS + 1)) / 2));
    }
  });

  it('merges chunks into SQLite, one writer at a time per file', async () => {
    const { result, log } = await runSyncFile(dir, 'lite_merge', `source: lite\ndestination: out\nstreams:\n  items:\n    write: merge\n    chunks: 4\n    parallelism: 2\n`);
    expect(result.status, `${result.error ?? ''}\n${log.join('\n')}`).toBe('success');
    expect(log.filter((l) => l.includes('committed:'))).toHaveLength(4);
    const out = new Database(join(dir, 'out.db'), { readonly: true });
    try {
      const row = out.prepare('SELECT count(*) AS n, count(DISTINCT id) AS d, sum(length(name)) AS l FROM items').get() as { n: number; d: number; l: number };
      expect(row.n).toBe(ROWS);
      expect(row.d).toBe(ROWS);
    } finally {
      out.close();
    }
  });

  it('merges chunks into DuckDB', async () => {
    const yaml = `source: lite\ndestination: duck\nstreams:\n  items:\n    write: merge\n    chunks: 3\n`;
    for (let i = 0; i < 2; i++) {
      const { result, log } = await runSyncFile(dir, 'duck_merge', yaml);
      expect(result.status, `${result.error ?? ''}\n${log.join('\n')}`).toBe('success');
      expect(log.filter((l) => l.includes('committed:'))).toHaveLength(3);
    }
    await withDuckDb(join(dir, 'out.duckdb'), async (connection) => {
      const reader = await connection.runAndReadAll('SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS d FROM main.items');
      expect(reader.getRowObjects()[0]).toEqual({ n: ROWS, d: ROWS });
    });
  });
});
