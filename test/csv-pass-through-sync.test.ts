import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeProject } from '../src/config/test-project.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { runProjectSync } from './support/run-project-sync.js';

/**
 * CSV pass-through through project files and the engine: the engine picks it
 * (`passThrough` on stream_start) where it applies, decodes where it does not,
 * and the data lands; a rejected value names the file and line.
 */

let db: TestDatabase;
const dirs: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase('csvsync');
  await db.query("CREATE TABLE public.items (id bigint PRIMARY KEY, name text, paid boolean, at timestamptz, price real)");
  await db.query("INSERT INTO public.items VALUES (1, 'a, \"b\"', true, '2024-01-02 03:04:05.5+00', 1.5), (2, '', NULL, NULL, NULL), (3, NULL, false, '0044-03-15 12:00:00+00 BC', 1e-7)");
});
afterAll(async () => {
  await db.drop();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function project(sync: string, files: Record<string, string> = {}): Promise<string> {
  const yml = `name: c\nstate: sqlite:state.db\nconnections:\n  app:\n    type: postgres\n    url: ${db.url}\n  out:\n    type: files\n    path: out\n`;
  const dir = await writeProject({ 'ferry.yml': yml, 'syncs/s.yml': sync, ...files });
  dirs.push(dir);
  return dir;
}

const run = (dir: string) => runProjectSync(dir);

describe('CSV pass-through through the engine', () => {
  it('exports Postgres to CSV through Postgres COPY where no column is a float, and decodes otherwise', async () => {
    const dir = await project('source: app\ndestination: out\nstreams:\n  items_raw:\n    sql: SELECT id, name, paid, at FROM public.items ORDER BY id\n    target: items_raw.csv\n  public.items:\n    target: items.csv\n');
    const { result, events } = await run(dir);
    expect(result.status).toBe('success');
    const starts = events.filter((e) => e.type === 'stream_start');
    expect(starts.find((e) => e.stream === 'items_raw')).toMatchObject({ passThrough: true });
    expect(starts.find((e) => e.stream === 'public.items')).toMatchObject({ passThrough: false });
    expect(await readFile(join(dir, 'out/items_raw.csv'), 'utf8')).toBe('id,name,paid,at\n1,"a, ""b""",true,2024-01-02T03:04:05.5Z\n2,"",,\n3,,false,0044-03-15T12:00:00Z BC\n');
    expect(result.streams.find((s) => s.stream === 'items_raw')?.rowsWritten).toBe(3);
  });

  it('loads a CSV file into Postgres through COPY FROM csv, and names the file line of a value Postgres refuses', async () => {
    const csv = 'id,name,day\n1,"x\ny",2024-02-29\n2,,2024-03-01\n3,"",2024-03-02\n';
    const dir = await project('source: out\ndestination: app\nstreams:\n  in.csv:\n    target: public.loaded\n  bad.csv:\n    target: public.bad\n', {
      'out/in.csv': csv,
      'out/bad.csv': 'id,day\n1,2024-01-01\n2,0000-01-01\n',
    });
    const { result, events } = await run(dir);
    const starts = events.filter((e) => e.type === 'stream_start');
    expect(starts.every((e) => e.type === 'stream_start' && e.passThrough)).toBe(true);
    const loaded = await db.query<{ id: string; name: string | null; day: string }>("SELECT id::text, name, day::text FROM public.loaded ORDER BY id");
    expect(loaded.rows).toEqual([{ id: '1', name: 'x\ny', day: '2024-02-29' }, { id: '2', name: null, day: '2024-03-01' }, { id: '3', name: '', day: '2024-03-02' }]);
    const bad = result.streams.find((s) => s.stream === 'bad.csv');
    expect(bad?.status).toBe('failed');
    expect(bad?.error).toMatch(/^bad\.csv:3: /);
    expect(result.streams.find((s) => s.stream === 'in.csv')?.rowsWritten).toBe(3);
  });
});
