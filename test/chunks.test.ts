import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProjectDir } from './support/make-project-dir.js';
import { connectorSchemas } from '../src/connectors/connector-schemas.js';
import { loadProject } from '../src/config/index.js';
import { runSync, type RunResult } from '../src/engine/run-sync.js';
import { openStateStore } from '../src/state/index.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';

/**
 * Chunked reads Postgres -> Postgres: whatever the number of chunks and the
 * shape of the key (skewed, composite, text in an ICU collation, none at all:
 * ctid pages), every row lands exactly once, for replace, merge and append.
 */
let db: TestDatabase;
let dir: string;

/** Source tables and what their key is like. */
const TABLES: Readonly<Record<string, string>> = {
  ints: 'bigint primary key',
  skewed: 'a dense run of ids and a far tail',
  composite: '(text COLLATE "C", int)',
  texts: 'text COLLATE "de-x-icu" with umlauts, spaces, quotes',
  nokey: 'none: ctid page ranges',
  tiny: '3 rows: fewer ranges than asked for',
  empty: 'no rows: one piece',
};

beforeAll(async () => {
  db = await createTestDatabase('chunks');
  await db.query(`
    CREATE TABLE ints (id bigint PRIMARY KEY, note text, amount numeric(12,3));
    INSERT INTO ints SELECT g, 'n' || g, g / 7.0 FROM generate_series(1, 3000) g;
    CREATE TABLE skewed (id bigint PRIMARY KEY, note text);
    INSERT INTO skewed SELECT g, 'low' FROM generate_series(1, 20) g;
    INSERT INTO skewed SELECT 1000000000000 + g, 'high' FROM generate_series(1, 2500) g;
    CREATE TABLE composite (tenant text COLLATE "C" NOT NULL, id int NOT NULL, note text, PRIMARY KEY (tenant, id));
    INSERT INTO composite SELECT 't' || (g % 5), g, 'c' || g FROM generate_series(1, 2500) g;
    CREATE TABLE texts (name text COLLATE "de-x-icu" PRIMARY KEY, n int);
    INSERT INTO texts SELECT w || g, g FROM generate_series(1, 800) g, unnest(ARRAY['apfel', 'Äpfel', 'zebra', 'Zoo', 'öl', 'a b', 'ä''x', '_']) w;
    CREATE TABLE nokey (id int, note text);
    INSERT INTO nokey SELECT g % 1000, 'k' || g FROM generate_series(1, 4000) g;
    INSERT INTO nokey SELECT g % 1000, 'k' || g FROM generate_series(1, 10) g;
    CREATE TABLE tiny (id int PRIMARY KEY, note text);
    INSERT INTO tiny VALUES (1, 'a'), (2, 'b'), (3, 'c');
    CREATE TABLE empty (id int PRIMARY KEY, note text);
    CREATE TABLE events_merge (id bigint PRIMARY KEY, v int NOT NULL, updated_at timestamptz);
    INSERT INTO events_merge SELECT g, g, timestamptz '2025-01-01' + (g / 3) * interval '1 second' FROM generate_series(1, 3000) g;
    UPDATE events_merge SET updated_at = NULL WHERE id % 500 = 0;
    CREATE TABLE events_append AS SELECT * FROM events_merge;
    ALTER TABLE events_append ADD PRIMARY KEY (id);
    CREATE SCHEMA dst;
  `);
  dir = await makeProjectDir('ferry-chunks-');
  await writeFile(join(dir, 'ferry.yml'), `name: chunks\nstate: sqlite:.ferry/state.db\ndefaults:\n  threads: 2\n  batch_size: 500\nconnections:\n  pg:\n    type: postgres\n    url: ${db.url}\n`);
});

afterAll(async () => {
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function run(name: string, streams: string): Promise<{ result: RunResult; log: string[] }> {
  await writeFile(join(dir, 'syncs', `${name}.yml`), `source: pg\ndestination: pg\nstreams:\n${streams}`);
  const project = await loadProject(dir, { connectorSchemas: connectorSchemas() });
  const state = await openStateStore(project.state, project.dir);
  try {
    const result = await runSync({ project, state, sync: name, attempts: 1 });
    const log = (await state.readLog(result.runId)).map((l) => `${l.stream ?? '-'}: ${l.message}`);
    return { result, log };
  } finally {
    await state.close();
  }
}

async function differences(source: string, target: string): Promise<number> {
  const sql = `SELECT count(*)::int AS n FROM ((SELECT * FROM ${source} EXCEPT ALL SELECT * FROM ${target}) UNION ALL (SELECT * FROM ${target} EXCEPT ALL SELECT * FROM ${source})) d`;
  return (await db.query<{ n: number }>(sql)).rows[0]?.n ?? -1;
}

function stream(table: string, settings: Record<string, string | number>): string {
  return `  public.${table}:\n${Object.entries(settings).map(([k, v]) => `    ${k}: ${v}`).join('\n')}\n`;
}

describe('chunked reads, Postgres to Postgres', () => {
  it('replace lands every row exactly once with 1 to 8 chunks', async () => {
    for (let chunks = 1; chunks <= 8; chunks++) {
      const { result, log } = await run(`ints${chunks}`, stream('ints', { chunks, parallelism: 3, target: `dst.ints_${chunks}` }));
      expect(result.status, result.error ?? '').toBe('success');
      expect(await differences('public.ints', `dst.ints_${chunks}`)).toBe(0);
      if (chunks > 1) {
        expect(log.filter((l) => l.includes('committed:'))).toHaveLength(chunks);
        // The count published is the one the chunks' checkpoints recorded (the table is not counted again).
        expect(log.filter((l) => l.includes(`published 3000 rows of ${chunks} chunks`))).toHaveLength(1);
        expect(result.streams[0]?.rowsWritten).toBe(3000);
      } else expect(log.some((l) => l.includes('committed:'))).toBe(false);
    }
    const key = await db.query(`SELECT 1 FROM pg_constraint WHERE conrelid = 'dst.ints_5'::regclass AND contype = 'p'`);
    expect(key.rows).toHaveLength(1);
    const leftovers = await db.query(`SELECT relname FROM pg_class WHERE relname LIKE '\\_ferry\\_chunked%' OR relname LIKE '\\_ferry\\_stage%'`);
    expect(leftovers.rows).toEqual([]);
  });

  it.each(Object.keys(TABLES))('%s: replace, merge, append and truncate in 2 to 8 chunks', async (table) => {
    const cases: readonly (readonly [string, number])[] = [['replace', 8], ['merge', 3], ['append', 5], ['truncate', 2]];
    for (const [write, chunks] of cases) {
      if (write === 'merge' && table === 'nokey') continue;
      const target = `dst.${table}_${write}_${chunks}`;
      const { result, log } = await run(`${table}_${write}_${chunks}`, stream(table, { chunks, parallelism: 2, write, target }));
      expect(result.status, `${write} ${chunks}: ${result.error ?? ''}\n${log.join('\n')}`).toBe('success');
      expect(await differences(`public.${table}`, target), `${write} with ${chunks} chunks`).toBe(0);
      if (table === 'nokey') expect(log.some((l) => l.includes('heap pages (ctid)'))).toBe(true);
    }
  });

  it.each(['merge', 'append'])('incremental %s: every chunk reads one cursor window; the cursor moves when all are in', async (write) => {
    const target = `dst.events_${write}`;
    const source = `public.events_${write}`;
    const yaml = stream(`events_${write}`, { mode: 'incremental', cursor: 'updated_at', write, target, chunks: 4, parallelism: 2 });
    const first = await run(`events_${write}`, yaml);
    expect(first.result.status, first.log.join('\n')).toBe('success');
    expect(first.log.filter((l) => l.includes('committed:'))).toHaveLength(4);
    expect(await differences(source, target)).toBe(0);
    const last = (await db.query<{ m: string }>(`SELECT max(updated_at)::text AS m FROM ${source}`)).rows[0]?.m;
    // New rows and (for merge) changed rows after the first run; the same cursor value as the last one too.
    await db.query(`INSERT INTO ${source} SELECT g, g, timestamptz '2025-01-01' + 1000 * interval '1 second' FROM generate_series(3001, 3050) g`);
    if (write === 'merge') await db.query(`UPDATE ${source} SET v = -v, updated_at = timestamptz '2025-02-01' + id * interval '1 ms' WHERE id % 97 = 0`);
    const second = await run(`events_${write}`, yaml);
    expect(second.result.status, second.log.join('\n')).toBe('success');
    expect(second.log.some((l) => l.includes('planned 4 chunks')), second.log.join('\n')).toBe(true);
    // Only the window was read: the rows at the last cursor value and what changed since.
    const window = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${source} WHERE updated_at >= $1`, [last]);
    expect(second.result.streams[0]?.rowsRead).toBe(window.rows[0]?.n);
    if (write === 'merge') expect(await differences(source, target)).toBe(0);
    else {
      const dupes = await db.query<{ n: string; d: string }>(`SELECT count(*) AS n, count(DISTINCT id) AS d FROM ${target}`);
      expect(Number(dupes.rows[0]?.n)).toBe(3050);
      expect(Number(dupes.rows[0]?.d)).toBe(3050);
    }
  });

  it('fills metadata columns in every chunk, and reads a mirror in one piece (saying why)', async () => {
    const meta = await run('meta', stream('ints', { chunks: 4, target: 'dst.ints_meta', metadata_columns: '[run_id, synced_at]' }));
    expect(meta.result.status, meta.log.join('\n')).toBe('success');
    expect(meta.log.filter((l) => l.includes('committed:'))).toHaveLength(4);
    const landed = await db.query<{ n: number; runs: number; run: string; times: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT _ferry_run_id)::int AS runs, min(_ferry_run_id) AS run, count(DISTINCT _ferry_synced_at)::int AS times FROM dst.ints_meta',
    );
    expect(landed.rows[0]).toEqual({ n: 3000, runs: 1, run: meta.result.runId, times: 1 });
    const mirror = await run('mirror', stream('ints', { chunks: 4, write: 'mirror', target: 'dst.ints_mirror' }));
    expect(mirror.result.status, mirror.log.join('\n')).toBe('success');
    expect(mirror.log.some((l) => l.includes('read in one piece: mirror'))).toBe(true);
    expect(await differences('public.ints', 'dst.ints_mirror')).toBe(0);
  });
});
