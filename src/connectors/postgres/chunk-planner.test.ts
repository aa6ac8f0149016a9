import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkPlan } from '../../core/chunk.js';
import type { ReadRequest } from '../../core/connector.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.js';
import type { PostgresSource } from './source.js';
import { readAll, sourceFor, tableRead } from './test-support/postgres-test-kit.js';

/**
 * Ranges from `planChunks` cover every row exactly once: counting each range
 * adds up to the table, and reading them all yields each key once.
 */
let db: TestDatabase;
let source: PostgresSource;

beforeAll(async () => {
  db = await createTestDatabase('chunkplan');
  await db.query(`
    CREATE TABLE big (id int PRIMARY KEY, note text);
    INSERT INTO big SELECT g, 'b' || g FROM generate_series(1, 20000) g;
    ANALYZE big;
    -- Pretend the table is huge so the boundaries come from a TABLESAMPLE.
    UPDATE pg_class SET reltuples = 50000000 WHERE oid = 'big'::regclass;
    CREATE TABLE words (w text COLLATE "de-x-icu" NOT NULL, n int NOT NULL, PRIMARY KEY (w, n));
    INSERT INTO words SELECT x, g FROM generate_series(1, 50) g, unnest(ARRAY['Äa', 'ab', 'aB', 'Ab', 'äb', 'b', 'ß', 'ss', '', ' ']) x;
    CREATE TABLE heap (v text);
    INSERT INTO heap SELECT repeat('h', 200) FROM generate_series(1, 3000);
  `);
  source = sourceFor(db.url);
});

afterAll(async () => {
  await source?.close();
  await db?.drop();
});

async function rangeCounts(plan: ChunkPlan, read: ReadRequest): Promise<number[]> {
  return Promise.all(plan.ranges.map((chunk) => source.count({ ...read, chunk })));
}

describe('postgres chunk planning', () => {
  it('samples a large table and still covers every row once', async () => {
    const read = tableRead('public', 'big');
    const plan = await source.planChunks({ read, chunks: 6, key: ['id'] });
    expect(plan.method).toContain('sample');
    expect(plan.ranges.length).toBeGreaterThan(1);
    expect((await rangeCounts(plan, read)).reduce((a, b) => a + b, 0)).toBe(20000);
  });

  it('keeps ranges valid when rows disappear after planning (empty ranges read nothing)', async () => {
    const read = tableRead('public', 'big', { where: 'id > 100' });
    const plan = await source.planChunks({ read, chunks: 4, key: ['id'] });
    const second = plan.ranges[1];
    expect(second?.kind).toBe('key');
    if (second?.kind !== 'key' || second.lower === null || second.upper === null) throw new Error('expected a bounded second range');
    await db.query('DELETE FROM big WHERE id >= $1 AND id < $2', [second.lower[0], second.upper[0]]);
    const counts = await rangeCounts(plan, read);
    expect(counts[1]).toBe(0);
    const left = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM big WHERE id > 100')).rows[0]?.n;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(left);
  });

  it('splits a composite text key in its ICU collation without losing or repeating a row', async () => {
    const read = tableRead('public', 'words');
    for (const chunks of [2, 3, 7]) {
      const plan = await source.planChunks({ read, chunks, key: ['w', 'n'] });
      expect(plan.ranges).toHaveLength(chunks);
      const rows = (await Promise.all(plan.ranges.map((chunk) => readAll(source, { ...read, chunk })))).flatMap((r) => r.rows);
      const keys = rows.map((r) => `${String(r[0])}|${String(r[1])}`);
      expect(keys).toHaveLength(500);
      expect(new Set(keys).size).toBe(500);
    }
  });

  it('uses heap page ranges for a table without a key', async () => {
    const read = tableRead('public', 'heap');
    const plan = await source.planChunks({ read, chunks: 4, key: [] });
    expect(plan.ranges.every((r) => r.kind === 'pages')).toBe(true);
    expect(plan.fingerprint).toMatch(/^pages:\d+$/);
    expect((await rangeCounts(plan, read)).reduce((a, b) => a + b, 0)).toBe(3000);
    await db.query('VACUUM FULL heap');
    const after = await source.planChunks({ read, chunks: 4, key: [] });
    expect(after.fingerprint).not.toBe(plan.fingerprint);
  });

  it('plans heap page ranges for a keyed table when asked for storage order, which read in turn give the rows of one scan in its order', async () => {
    const read = tableRead('public', 'big');
    const plan = await source.planChunks({ read, chunks: 3, key: ['id'], storageOrder: true });
    expect(plan.ranges.map((r) => r.kind)).toEqual(['pages', 'pages', 'pages']);
    const whole = (await readAll(source, read)).rows.map((r) => String(r[0]));
    const ranged = (await Promise.all(plan.ranges.map((chunk) => readAll(source, { ...read, chunk })))).flatMap((r) => r.rows.map((row) => String(row[0])));
    expect(ranged).toEqual(whole);
    expect((await source.planChunks({ read, chunks: 1, key: ['id'], storageOrder: true })).fingerprint).toMatch(/^key:/);
  });

  it('reads a query in one piece', async () => {
    const plan = await source.planChunks({ read: { stream: 'q', target: { kind: 'query', sql: 'SELECT 1 AS x' }, batchSize: 10 }, chunks: 4, key: [] });
    expect(plan.ranges).toHaveLength(1);
  });
});
