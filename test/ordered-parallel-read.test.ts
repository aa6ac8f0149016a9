import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import './support/load-connectors.js';
import { connectorSchemas } from '../src/connectors/connector-schemas.js';
import { loadProject } from '../src/config/index.js';
import { postgresConnector, type PostgresConfig } from '../src/connectors/postgres/index.js';
import { builtinConnectors, type ConnectorRegistry } from '../src/connectors/registry.js';
import type { ConnectorContext, ConnectorDefinition, RawFormat, ReadRequest, Source } from '../src/core/connector.js';
import { FerryError } from '../src/core/errors.js';
import type { Checkpoint } from '../src/core/checkpoint.js';
import { runSync, type RunResult } from '../src/engine/run-sync.js';
import { openStateStore } from '../src/state/index.js';
import { makeProjectDir } from './support/make-project-dir.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';

/**
 * Postgres -> files with several ranges read at once into one writer
 * (src/engine/ordered-parallel-read.ts): the file holds exactly the bytes of a
 * one-piece read (CSV passed through, JSONL and CSV decoded, an incremental
 * stream over two runs), a range past the memory cap goes through a temp file,
 * and a failed or cancelled run leaves no file, no temp file and no spill file.
 */
let db: TestDatabase;
let dir: string;
const out = (): string => join(dir, 'out');

/** Called with every raw chunk a range reads (the bytes it read so far): tests fail or cancel a range from here. */
let onRawChunk: ((request: ReadRequest, readSoFar: number) => Promise<void>) | undefined;

/** The postgres connector, its raw reads passing through `onRawChunk`. */
const registry: ConnectorRegistry = new Map<string, ConnectorDefinition>([
  ...builtinConnectors,
  [
    'postgres',
    {
      ...postgresConnector,
      createSource: (config: PostgresConfig, ctx: ConnectorContext) => watched(postgresConnector.createSource?.(config, ctx) as Source),
    } as ConnectorDefinition,
  ],
]);

function watched(source: Source): Source {
  const readRaw = async function* (request: ReadRequest, format: RawFormat, signal: AbortSignal): AsyncIterable<Uint8Array> {
    let read = 0;
    for await (const chunk of source.readRaw?.(request, format, signal) ?? []) {
      read += chunk.length;
      await onRawChunk?.(request, read);
      yield chunk;
    }
  };
  return new Proxy(source, {
    get(target, property) {
      if (property === 'readRaw') return readRaw;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const BIG_ROWS = 300_000;

beforeAll(async () => {
  db = await createTestDatabase('pgcsvpar');
  // A sequential scan of a table past shared_buffers/4 may start where another scan is; here every scan starts at page 0.
  await db.query(`ALTER DATABASE ${db.name} SET synchronize_seqscans = off`);
  await db.query(`
    CREATE TABLE big (id bigint PRIMARY KEY, note text, ts timestamptz, flag bool, amount numeric(12,2), doc jsonb);
    INSERT INTO big SELECT g,
      CASE WHEN g % 7 = 0 THEN NULL WHEN g % 11 = 0 THEN E'line one\\n"two", three\\r\\nfour ' || g WHEN g % 13 = 0 THEN '' ELSE repeat('x', 230) || g END,
      CASE WHEN g % 19 = 0 THEN NULL ELSE timestamptz '2024-01-01 00:00:00+00' + g * interval '1.000001 second' END,
      CASE WHEN g % 5 = 0 THEN NULL ELSE g % 2 = 0 END, round(g / 7.0, 2), jsonb_build_object('k', g, 's', E'a,"b"\\n' || g)
    FROM generate_series(1, ${BIG_ROWS}) g;
    CREATE TABLE events (id bigint PRIMARY KEY, updated_at timestamptz, payload text);
    INSERT INTO events SELECT g, CASE WHEN g % 97 = 0 THEN NULL ELSE timestamptz '2025-01-01' + least(g, 29000) * interval '1 second' END,
      CASE WHEN g % 3 = 0 THEN E'multi\\nline, "quoted"' WHEN g % 4 = 0 THEN NULL ELSE 'p' || g END
    FROM generate_series(1, 30000) g;
    CREATE TABLE snap (id bigint PRIMARY KEY, note text);
    INSERT INTO snap SELECT g, repeat('s', 100) FROM generate_series(1, 20000) g;
  `);
  await db.query('VACUUM ANALYZE');
  dir = await makeProjectDir('ferry-pgcsvpar-');
  await writeFile(
    join(dir, 'ferry.yml'),
    `name: pgcsvpar\nstate: sqlite:.ferry/state.db\ndefaults:\n  threads: 4\n  batch_size: 2000\nconnections:\n  pg:\n    type: postgres\n    url: ${db.url}\n  out:\n    type: files\n    path: out\n`,
  );
}, 120_000);

afterAll(async () => {
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Ran {
  readonly result: RunResult;
  readonly log: string[];
  checkpoint(stream: string): Promise<Checkpoint | undefined>;
}

async function run(name: string, streams: string, signal?: AbortSignal): Promise<Ran> {
  await writeFile(join(dir, 'syncs', `${name}.yml`), `source: pg\ndestination: out\nstreams:\n${streams}`);
  const project = await loadProject(dir, { connectorSchemas: connectorSchemas() });
  const state = await openStateStore(project.state, project.dir);
  try {
    const result = await runSync({ project, state, sync: name, registry, attempts: 1, ...(signal ? { signal } : {}) });
    const log = (await state.readLog(result.runId)).map((l) => l.message);
    const checkpoints = new Map<string, Checkpoint | undefined>();
    for (const s of result.streams) checkpoints.set(s.stream, await state.getCheckpoint(name, s.stream));
    return { result, log, checkpoint: async (stream) => checkpoints.get(stream) };
  } finally {
    await state.close();
  }
}

function stream(table: string, target: string, extra = ''): string {
  return `  public.${table}:\n    mode: full_refresh\n    write: replace\n    target: ${target}\n${extra}`;
}

/** Spill files this process holds open (they are unlinked once open) or that are left in the temp folder. */
function spillFiles(): string[] {
  const open = readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = readlinkSync(join('/proc/self/fd', fd));
      return target.includes('.ferry-range-') ? [target] : [];
    } catch {
      return [];
    }
  });
  // Full paths: a spill file is listed by its folder in the moment between its creation and its unlink.
  const left = [tmpdir(), out()].flatMap((folder) => (existsSync(folder) ? readdirSync(folder).filter((f) => f.startsWith('.ferry-range-')).map((f) => join(folder, f)) : []));
  return [...open, ...left];
}

async function leftovers(): Promise<string[]> {
  return (await readdir(out()).catch(() => [] as string[])).filter((f) => f.endsWith('.tmp'));
}

describe('ordered parallel range reads into one file', () => {
  it('writes the bytes of a one-piece read: CSV passed through (a range spilling past the memory cap) and JSONL decoded', async () => {
    const one = await run('one', [stream('big', 'one.csv', '    chunks: 1\n')].join(''));
    const par = await run('par', [stream('big', 'par.csv', '    chunks: 3\n    parallelism: 2\n')].join(''));
    expect(one.result.status).toBe('success');
    expect(par.result.status).toBe('success');
    expect(par.log).toContain('reading 3 ranges, 2 at once, into one writer in range order (the destination cannot commit chunks); not resumable: a failed run reads every range again');
    expect(par.log.some((l) => /^range \d\/3: [\d.]+ MiB read ahead went through a temp file$/.test(l))).toBe(true);
    expect(one.log.some((l) => l.startsWith('reading 3 ranges'))).toBe(false);
    const [oneCsv, parCsv] = [await readFile(join(out(), 'one.csv')), await readFile(join(out(), 'par.csv'))];
    expect(oneCsv.length).toBeGreaterThan(3 * 17 * 2 ** 20);
    expect(parCsv.equals(oneCsv)).toBe(true);
    expect(par.result.streams[0]?.rowsRead).toBe(BIG_ROWS);
    expect(par.result.streams[0]?.rowsWritten).toBe(BIG_ROWS);
    expect(par.result.streams[0]?.sql.filter((s) => s.includes('ctid'))).toHaveLength(3);
    const text = parCsv.toString('utf8');
    expect(text.startsWith('id,note,ts,flag,amount,doc\n')).toBe(true);
    expect(text.split('\nid,note,').length).toBe(1);
    expect(text).toContain('\n11,"line one\n""two"", three\r\nfour 11",2024-01-01T00:00:11.000011Z,false,1.57,');
    expect(text).toContain('\n35,,2024-01-01T00:00:35.000035Z,,5.00,');

    const oneJsonl = await run('one_jsonl', stream('big', 'one.jsonl', '    chunks: 1\n'));
    const parJsonl = await run('par_jsonl', stream('big', 'par.jsonl', '    chunks: 4\n    parallelism: 3\n'));
    expect(parJsonl.log.some((l) => l.startsWith('reading 4 ranges, 3 at once'))).toBe(true);
    expect(parJsonl.result.streams[0]?.rowsWritten).toBe(BIG_ROWS);
    const [a, b] = [await readFile(join(out(), 'one.jsonl')), await readFile(join(out(), 'par.jsonl'))];
    expect(oneJsonl.result.streams[0]?.rowsWritten).toBe(BIG_ROWS);
    expect(b.equals(a)).toBe(true);
    expect(b.toString('utf8')).toContain('{"id":77,"note":null,"ts":"2024-01-01T00:01:17.000077Z","flag":false,"amount":"11.00","doc":{"k": 77, "s": "a,\\"b\\"\\n77"}}\n');
    expect(await leftovers()).toEqual([]);
    expect(spillFiles()).toEqual([]);
  }, 180_000);

  it('reads one cursor window in every range of an incremental stream, run after run, and lands what a one-piece read lands', async () => {
    const incremental = (target: string, extra: string): string => `  public.events:\n    mode: incremental\n    cursor: updated_at\n    write: append\n    target: ${target}\n${extra}`;
    const partOf = async (stem: string): Promise<Buffer[]> => {
      const names = (await readdir(join(out(), stem))).sort();
      return Promise.all(names.map((n) => readFile(join(out(), stem, n))));
    };
    const both = async (): Promise<[Ran, Ran]> => [await run('inc_one', incremental('inc_one.csv', '    chunks: 1\n')), await run('inc_par', incremental('inc_par.csv', '    chunks: 3\n    parallelism: 2\n'))];
    const [one1, par1] = await both();
    expect(par1.log.some((l) => l.startsWith('reading 3 ranges, 2 at once'))).toBe(true);
    expect(par1.result.streams[0]?.rowsWritten).toBe(30_000);
    expect(par1.result.streams[0]?.rowsWritten).toBe(one1.result.streams[0]?.rowsWritten);
    expect((await par1.checkpoint('public.events'))?.state.cursor).toEqual((await one1.checkpoint('public.events'))?.state.cursor);
    expect((await par1.checkpoint('public.events'))?.state.cursor?.value).toBe('2025-01-01T08:03:20Z');

    // Rows at the checkpoint's value (the boundary: new keys land, delivered ones are skipped), later ones, and NULL cursors (excluded after the first run).
    await db.query(`INSERT INTO events SELECT g, CASE WHEN g % 5 = 0 THEN NULL WHEN g % 2 = 0 THEN timestamptz '2025-01-01 08:03:20+00' ELSE timestamptz '2025-02-01' + g * interval '1 ms' END, E'new\\n' || g FROM generate_series(30001, 31000) g`);
    const [one2, par2] = await both();
    expect(par2.log.some((l) => l.startsWith('reading 3 ranges, 2 at once'))).toBe(true);
    expect(par2.result.streams[0]?.rowsWritten).toBe(800);
    expect(par2.result.streams[0]?.rowsWritten).toBe(one2.result.streams[0]?.rowsWritten);
    expect((await par2.checkpoint('public.events'))?.state.cursor).toEqual((await one2.checkpoint('public.events'))?.state.cursor);
    const [oneParts, parParts] = [await partOf('inc_one'), await partOf('inc_par')];
    expect(parParts).toHaveLength(2);
    expect(parParts.map((p) => p.toString('utf8'))).toEqual(oneParts.map((p) => p.toString('utf8')));
    expect(parParts[1]?.toString('utf8')).toContain('\n30002,2025-01-01T08:03:20Z,"new\n30002"\n');
  }, 120_000);

  it('a failing later range fails the run with its error and leaves no file, temp file or spill file', async () => {
    const spilledMidRun: string[] = [];
    onRawChunk = async (request, read) => {
      if (request.stream !== 'public.big' || request.chunk?.kind !== 'pages' || request.chunk.toPage !== null) return;
      if (read < 20 * 2 ** 20) return;
      spilledMidRun.push(...spillFiles());
      expect(spilledMidRun.every((f) => f.startsWith(join(out(), '.ferry-range-')))).toBe(true);
      throw new FerryError('injected: the last range lost its connection', { stream: request.stream });
    };
    try {
      const failed = await run('fail', stream('big', 'fail.csv', '    chunks: 3\n    parallelism: 3\n'));
      expect(failed.result.status).toBe('failed');
      expect(failed.result.streams[0]?.error).toContain('injected: the last range lost its connection');
      expect(failed.result.streams[0]?.rowsWritten).toBe(0);
    } finally {
      onRawChunk = undefined;
    }
    expect(spilledMidRun.length).toBeGreaterThan(0);
    expect(await readdir(out())).not.toContain('fail.csv');
    expect(await leftovers()).toEqual([]);
    expect(spillFiles()).toEqual([]);
  }, 120_000);

  it('cancel stops every range read and leaves no file, temp file, spill file or running COPY', async () => {
    const controller = new AbortController();
    onRawChunk = async (request, read) => {
      if (request.chunk?.kind === 'pages' && request.chunk.toPage === null && read >= 20 * 2 ** 20) controller.abort();
    };
    try {
      const cancelled = await run('cancel', stream('big', 'cancel.csv', '    chunks: 3\n    parallelism: 3\n'), controller.signal);
      expect(cancelled.result.status).toBe('cancelled');
      expect(cancelled.result.streams[0]?.status).toBe('cancelled');
    } finally {
      onRawChunk = undefined;
    }
    expect(await readdir(out())).not.toContain('cancel.csv');
    expect(await leftovers()).toEqual([]);
    expect(spillFiles()).toEqual([]);
    await expect.poll(async () => (await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY%' AND state = 'active'`)).rows[0]?.n, { timeout: 10_000 }).toBe(0);
  }, 120_000);

  it('every range reads the snapshot the run took: rows changed after the read began are not seen', async () => {
    let changed = false;
    onRawChunk = async (request) => {
      if (changed || request.stream !== 'public.snap' || request.chunk?.kind !== 'pages' || request.chunk.fromPage !== 0) return;
      changed = true;
      // Committed while range 1 is read and before range 3 starts (2 at once): the last range must not see either change.
      await db.query("INSERT INTO snap VALUES (100000, 'added during the read'); DELETE FROM snap WHERE id = 19999; UPDATE snap SET note = 'updated during the read' WHERE id = 19998");
    };
    try {
      const ran = await run('snap', stream('snap', 'snap.csv', '    chunks: 3\n    parallelism: 2\n'));
      expect(ran.result.status).toBe('success');
      expect(ran.log.some((l) => l.startsWith('reading 3 ranges, 2 at once'))).toBe(true);
      expect(ran.result.streams[0]?.rowsWritten).toBe(20_000);
    } finally {
      onRawChunk = undefined;
    }
    expect(changed).toBe(true);
    const text = (await readFile(join(out(), 'snap.csv'))).toString('utf8');
    expect(text).not.toContain('added during the read');
    expect(text).not.toContain('updated during the read');
    expect(text).toContain(`\n19999,${'s'.repeat(100)}\n`);
    expect(text).toContain(`\n19998,${'s'.repeat(100)}\n`);
  }, 120_000);

  it('reads in one piece unless chunks asks for ranges: chunks auto (any size), parallelism 1', async () => {
    const auto = await run('auto_small', stream('snap', 'auto.csv'));
    expect(auto.log.some((l) => l.startsWith('reading') && l.includes('ranges'))).toBe(false);
    const serial = await run('serial', stream('events', 'serial.csv', '    chunks: 4\n    parallelism: 1\n'));
    expect(serial.log).toContain('read in one piece: parallelism is 1');
    expect(serial.result.streams[0]?.rowsWritten).toBe(31_000);
  }, 60_000);
});
