import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProjectDir } from './support/make-project-dir.js';
import { runSyncFile } from './support/run-sync-file.js';
import { createMysqlTestDatabase, type MysqlTestDatabase } from './support/mysql.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { mysqlDestination } from '../src/connectors/mysql/test-support/mysql-test-kit.js';

/**
 * MariaDB key ranges: integer, skewed, composite keys with a case-insensitive
 * collation and binary keys, read in chunks into Postgres: every row once.
 */
let my: MysqlTestDatabase;
let pg: TestDatabase;
let dir: string;

beforeAll(async () => {
  my = await createMysqlTestDatabase('chunks');
  pg = await createTestDatabase('chunkmy');
  await my.query('CREATE TABLE ints (id BIGINT PRIMARY KEY, note VARCHAR(20) NOT NULL, amount DECIMAL(12,3))');
  await my.query(`INSERT INTO ints SELECT IF(seq <= 50, seq, 5000000000 + seq), CONCAT('n', seq), seq / 7 FROM seq_1_to_2000`);
  await my.query('CREATE TABLE names (name VARCHAR(40) COLLATE utf8mb4_general_ci NOT NULL, n INT NOT NULL, born DATETIME(6) NOT NULL, PRIMARY KEY (name, n))');
  await my.query(`INSERT INTO names SELECT w, seq, TIMESTAMP('2020-01-01 00:00:00.000001') + INTERVAL seq SECOND FROM seq_1_to_200, (SELECT 'Äpfel' AS w UNION SELECT 'apfel ' UNION SELECT 'Zoo' UNION SELECT 'o''hara' UNION SELECT 'ß') words`);
  await my.query('CREATE TABLE blobs (k VARBINARY(16) PRIMARY KEY, v INT NOT NULL)');
  await my.query(`INSERT INTO blobs SELECT UNHEX(MD5(seq)), seq FROM seq_1_to_1000`);
  dir = await makeProjectDir('ferry-chunkmy-');
  await writeFile(join(dir, 'ferry.yml'), `name: cm\nstate: sqlite:.ferry/state.db\ndefaults:\n  threads: 3\n  batch_size: 300\nconnections:\n  my:\n    type: mysql\n    url: ${my.url}\n  pg:\n    type: postgres\n    url: ${pg.url}\n`);
});

afterAll(async () => {
  await my?.drop();
  await pg?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('chunked reads from MariaDB', () => {
  it.each([2, 5, 8])('%i key-range chunks into Postgres land every row once', async (chunks) => {
    const streams = ['ints', 'names', 'blobs'].map((t) => `  ${t}:\n    write: replace\n    target: public.${t}_${chunks}\n    chunks: ${chunks}\n    parallelism: 3\n`).join('');
    const { result, log } = await runSyncFile(dir, `my${chunks}`, `source: my\ndestination: pg\nstreams:\n${streams}`);
    expect(result.status, `${result.error ?? ''}\n${log.join('\n')}`).toBe('success');
    expect(log.filter((l) => l.includes('committed:'))).toHaveLength(chunks * 3);
    const ints = (await pg.query<{ n: number; d: number; s: string; a: string }>(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, sum(id)::text AS s, sum(amount)::text AS a FROM public.ints_${chunks}`)).rows[0];
    const mine = (await my.query<{ n: number; s: string; a: string }>('SELECT COUNT(*) AS n, CAST(SUM(id) AS CHAR) AS s, CAST(SUM(amount) AS CHAR) AS a FROM ints'))[0];
    expect(ints).toEqual({ n: 2000, d: 2000, s: mine?.s, a: mine?.a });
    const names = (await pg.query<{ n: number; d: number }>(`SELECT count(*)::int AS n, count(DISTINCT (name, n))::int AS d FROM public.names_${chunks}`)).rows[0];
    const source = (await my.query<{ n: number }>('SELECT COUNT(*) AS n FROM names'))[0]?.n;
    expect(Number(source)).toBeGreaterThan(500);
    expect(names).toEqual({ n: Number(source), d: Number(source) });
    const blobs = (await pg.query<{ n: number; d: number; s: string }>(`SELECT count(*)::int AS n, count(DISTINCT k)::int AS d, sum(v)::text AS s FROM public.blobs_${chunks}`)).rows[0];
    expect(blobs).toEqual({ n: 1000, d: 1000, s: String((1000 * 1001) / 2) });
  });

  it('splits a dense integer key by value (no scan), a sparse one by row numbers', async () => {
    await my.query('CREATE TABLE dense (id INT PRIMARY KEY, v INT NOT NULL)');
    await my.query('INSERT INTO dense SELECT seq, seq * 3 FROM seq_1_to_3000');
    await my.query('ANALYZE TABLE dense');
    const yaml = `source: my\ndestination: pg\nstreams:\n  dense:\n    write: replace\n    target: public.dense\n    chunks: 3\n  ints:\n    write: replace\n    target: public.ints_sparse\n    chunks: 3\n`;
    const { result, log } = await runSyncFile(dir, 'mydense', yaml);
    expect(result.status, `${result.error ?? ''}\n${log.join('\n')}`).toBe('success');
    // Log messages carry no stream name: the dense table is the only one planned by steps.
    expect(log.filter((l) => l.includes('planned 3 chunks by key (id), equal steps between MIN and MAX'))).toHaveLength(1);
    expect(log.filter((l) => l.includes('planned 3 chunks by key (id), row numbers'))).toHaveLength(1);
    expect(log.filter((l) => l.includes('committed: 1000 rows'))).toHaveLength(3);
    const dense = (await pg.query<{ n: number; d: number; s: string }>('SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, sum(v)::text AS s FROM public.dense')).rows[0];
    expect(dense).toEqual({ n: 3000, d: 3000, s: String((3 * 3000 * 3001) / 2) });
    const sparse = (await pg.query<{ n: number; d: number }>('SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM public.ints_sparse')).rows[0];
    expect(sparse).toEqual({ n: 2000, d: 2000 });
  });

  it('incremental merge in chunks reads one cursor window', async () => {
    const yaml = `source: my\ndestination: pg\nstreams:\n  names:\n    mode: incremental\n    cursor: born\n    write: merge\n    target: public.names_inc\n    chunks: 4\n`;
    const first = await runSyncFile(dir, 'myinc', yaml);
    expect(first.result.status, first.log.join('\n')).toBe('success');
    expect(first.log.filter((l) => l.includes('committed:'))).toHaveLength(4);
    await my.query(`UPDATE names SET born = TIMESTAMP('2021-01-01') + INTERVAL n SECOND WHERE n % 50 = 0`);
    const second = await runSyncFile(dir, 'myinc', yaml);
    expect(second.result.status, second.log.join('\n')).toBe('success');
    // Only the window: the rows at the last cursor value and the changed ones.
    expect(second.result.streams[0]?.rowsRead).toBeLessThanOrEqual(25);
    const landed = (await pg.query<{ n: number; changed: number }>(`SELECT count(*)::int AS n, count(*) FILTER (WHERE born >= '2021-01-01')::int AS changed FROM public.names_inc`)).rows[0];
    const source = (await my.query<{ n: number; changed: number }>(`SELECT COUNT(*) AS n, CAST(SUM(born >= '2021-01-01') AS SIGNED) AS changed FROM names`))[0];
    expect(landed).toEqual({ n: Number(source?.n), changed: Number(source?.changed) });
  });

  it('replace in parallel chunks into MariaDB: built aside, keyed, swapped in; a rerun replaces it', async () => {
    const yaml = `source: my\ndestination: my\nstreams:\n  ints:\n    write: replace\n    target: ints_replace\n    chunks: 4\n    parallelism: 3\n`;
    const check = async (): Promise<void> => {
      const diff = await my.query<{ n: number }>('SELECT COUNT(*) AS n FROM ((SELECT id, note, amount FROM ints EXCEPT ALL SELECT id, note, amount FROM ints_replace) UNION ALL (SELECT id, note, amount FROM ints_replace EXCEPT ALL SELECT id, note, amount FROM ints)) d');
      expect(Number(diff[0]?.n)).toBe(0);
      const key = await my.query<{ c: string }>(`SELECT COLUMN_NAME AS c FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'ints_replace' AND CONSTRAINT_NAME = 'PRIMARY'`, [my.name]);
      expect(key.map((k) => k.c)).toEqual(['id']);
      const tables = await my.query<{ t: string; c: string }>(`SELECT TABLE_NAME AS t, TABLE_COMMENT AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND (TABLE_NAME LIKE '\\_ferry\\_%' OR TABLE_NAME = 'ints_replace') AND TABLE_NAME <> '_ferry_checkpoints'`, [my.name]);
      expect(tables).toEqual([{ t: 'ints_replace', c: '' }]);
    };
    const first = await runSyncFile(dir, 'my_replace', yaml);
    expect(first.result.status, `${first.result.error ?? ''}\n${first.log.join('\n')}`).toBe('success');
    expect(first.log.some((l) => l.includes('4 of 4 chunk(s) to read, 3 at once into'))).toBe(true);
    expect(first.log.some((l) => l.startsWith('published 2000 rows of 4 chunks'))).toBe(true);
    await check();
    await my.query(`UPDATE ints SET note = CONCAT(note, '!') WHERE id % 3 = 0`);
    const second = await runSyncFile(dir, 'my_replace', yaml);
    expect(second.result.status, second.log.join('\n')).toBe('success');
    await check();
    expect(Number((await my.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ints_replace WHERE note LIKE '%!'`))[0]?.n)).toBeGreaterThan(600);
  });

  it('publishTable after a crash between the swap and the checkpoint commits only the checkpoint; a missing table otherwise fails', async () => {
    const destination = mysqlDestination(my.url);
    const base = { sync: 's', stream: 'swapped', from: { name: '_ferry_chunked_test' }, target: { name: 'swapped' }, primaryKey: ['id'] };
    const checkpoint = (plan: string) => ({ sync: 's', stream: 'swapped', runId: `run-${plan}`, seq: Date.now(), state: {} });
    try {
      // The state a crash right after the RENAME leaves: the built table is the target, still marked with its plan.
      await my.query(`CREATE TABLE swapped (id INT PRIMARY KEY, v INT) COMMENT = 'ferry chunked replace, plan p1'`);
      await my.query('INSERT INTO swapped VALUES (1, 10), (2, 20), (3, 30)');
      await expect(destination.publishTable({ ...base, plan: 'p0' }, checkpoint('p0'), new AbortController().signal)).rejects.toThrow(/_ferry_chunked_test that the chunks were loaded into is gone; nothing was published/);
      expect(await destination.readCheckpoint('s', 'swapped')).toBeUndefined();
      const done = await destination.publishTable({ ...base, plan: 'p1' }, checkpoint('p1'), new AbortController().signal);
      expect(done.rows).toBe(3);
      expect((await destination.readCheckpoint('s', 'swapped'))?.runId).toBe('run-p1');
      expect(await my.query(`SELECT TABLE_COMMENT AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'swapped'`, [my.name])).toEqual([{ c: '' }]);
      // Repeated keys in the built table: refused before anything is swapped.
      await my.query('CREATE TABLE _ferry_chunked_test (id INT NOT NULL, v INT)');
      await my.query('INSERT INTO _ferry_chunked_test VALUES (1, 1), (1, 2)');
      await expect(destination.publishTable({ ...base, plan: 'p2' }, checkpoint('p2'), new AbortController().signal)).rejects.toThrow(/repeat primary key values \(id\); nothing was published/);
      expect(await my.query('SELECT id, v FROM swapped ORDER BY id')).toEqual([{ id: 1, v: 10 }, { id: 2, v: 20 }, { id: 3, v: 30 }]);
      expect((await destination.readCheckpoint('s', 'swapped'))?.runId).toBe('run-p1');
    } finally {
      await destination.close();
    }
  });

  it.each(['merge', 'append'])('%s in parallel chunks into MariaDB', async (write) => {
    const yaml = `source: my\ndestination: my\nstreams:\n  ints:\n    write: ${write}\n    target: ints_${write}\n    chunks: 4\n    parallelism: 3\n`;
    const { result, log } = await runSyncFile(dir, `my_${write}`, yaml);
    expect(result.status, `${result.error ?? ''}\n${log.join('\n')}`).toBe('success');
    expect(log.some((l) => l.includes('4 of 4 chunk(s) to read, 3 at once'))).toBe(true);
    const diff = await my.query<{ n: number }>(`SELECT COUNT(*) AS n FROM (SELECT id, note, amount FROM ints EXCEPT ALL SELECT id, note, amount FROM ints_${write}) d`);
    const landed = await my.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ints_${write}`);
    expect(Number(diff[0]?.n)).toBe(0);
    expect(Number(landed[0]?.n)).toBe(2000);
  });
});
