import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SnapshotSession } from '../../src/core/change-capture.js';
import type { ReadRequest } from '../../src/core/connector.js';
import type { Batch } from '../../src/core/schema.js';
import type { ConnectorRegistry } from '../../src/connectors/registry.js';
import { CDC_COLUMN_TYPES, captureRegistry, cdcFixture, dropSlot, type CdcFixture, type DestinationKind } from './cdc-fixture.js';

// Creating a replication slot waits for every transaction running on the server to end.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

interface Spy {
  /** Reads of the snapshot, with the chunk each asked for. */
  readonly reads: ReadRequest[];
  /** The LSN of every snapshot exported. */
  readonly lsns?: bigint[];
  /** Runs once, inside the first chunk read, after the reader imported the snapshot. */
  during?: () => Promise<void>;
  /** Fail the read of this chunk (0-based, in read order) after its first batch. */
  failAt?: number;
}

/** The postgres connector with its snapshot reads observed (and, on demand, failing: a killed run). */
function spyingRegistry(spy: Spy): ConnectorRegistry {
  const wrapSession = (session: SnapshotSession): SnapshotSession => {
    spy.lsns?.push(session.lsn);
    return observed(session);
  };
  const observed = (session: SnapshotSession): SnapshotSession => ({
    lsn: session.lsn,
    release: () => session.release(),
    async *read(request: ReadRequest, signal: AbortSignal): AsyncIterable<Batch> {
      const index = spy.reads.push(request) - 1;
      let first = true;
      for await (const batch of session.read(request, signal)) {
        if (first && spy.during) {
          const during = spy.during;
          spy.during = undefined;
          await during();
        }
        yield batch;
        if (first && index === spy.failAt) throw new Error('killed during the chunked snapshot');
        first = false;
      }
    },
  });
  return captureRegistry((capture) => {
    const createSlot = capture.createSlot.bind(capture);
    const snapshot = capture.snapshot.bind(capture);
    capture.createSlot = async () => wrapSession(await createSlot());
    capture.snapshot = async () => wrapSession(await snapshot());
    return capture;
  });
}

const ROWS = 'SELECT id, n, note FROM big ORDER BY id';

/** Column types of `big` as each destination stores them (one row per distinct combination). */
const TYPES: Readonly<Record<DestinationKind, { sql: string; expected: Record<string, unknown>[] }>> = {
  postgres: {
    sql: 'SELECT DISTINCT pg_typeof(id)::text AS id, pg_typeof(n)::text AS n, pg_typeof(note)::text AS note FROM big',
    expected: [{ id: 'bigint', n: 'integer', note: 'text' }],
  },
  sqlite: { sql: 'SELECT DISTINCT typeof(id) AS id, typeof(n) AS n, typeof(note) AS note FROM big', expected: [{ id: 'integer', n: 'integer', note: 'text' }] },
  duckdb: { sql: 'SELECT DISTINCT typeof(id) AS id, typeof(n) AS n, typeof(note) AS note FROM big', expected: [{ id: 'BIGINT', n: 'INTEGER', note: 'VARCHAR' }] },
};

/** Tables in the destination (a chunked snapshot's landing table must be gone once it is published). */
const TABLES: Readonly<Record<DestinationKind, string>> = {
  postgres: "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
  sqlite: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1",
  duckdb: 'SELECT table_name AS name FROM duckdb_tables() ORDER BY 1',
};

/** Rows as [id, n, note] whatever the driver's representation of a bigint (text, number or bigint). */
function normal(rows: readonly Record<string, unknown>[]): [string, number, unknown][] {
  return rows.map((r) => [String(r['id']), Number(r['n']), r['note']]);
}

describe.each(['postgres', 'sqlite', 'duckdb'] as const)('chunked cdc snapshot -> %s', (kind) => {
  let f: CdcFixture;

  beforeAll(async () => {
    f = await cdcFixture(`chunks_${kind}`, kind);
    await f.source.query('CREATE TABLE big (id bigint PRIMARY KEY, n int NOT NULL, note text)');
    await f.source.query("INSERT INTO big SELECT g, g % 97, 'row ' || g FROM generate_series(1, 20000) g");
  });
  afterAll(async () => {
    await f.close();
  });

  const expectSource = async (): Promise<void> => {
    const landed = await f.rows('big', 'id, n, note');
    const source = (await f.source.query(ROWS)).rows;
    expect(landed).toHaveLength(source.length);
    expect(normal(landed)).toEqual(normal(source));
  };

  it('reads every chunk at the exported snapshot; a killed snapshot is loaded again, with no gap or overlap with the stream', async () => {
    const project = f.project([{ name: 'public.big', chunks: 4, parallelism: 2 }], { lsn_column: true, synced_at_column: true });
    // Postgres takes chunks from two writers at once; SQLite and DuckDB (one writer per file) one after another.
    const atOnce = kind === 'postgres' ? 2 : 1;

    // First run: the third chunk read "dies" (the run fails after some chunks committed).
    const killed: Spy = { reads: [], failAt: 2, lsns: [] };
    const first = await f.run(project, spyingRegistry(killed));
    expect(first.status).toBe('failed');
    expect(first.error).toContain('killed during the chunked snapshot');
    expect(killed.reads.every((r) => r.chunk !== undefined)).toBe(true);
    // Nothing was published: the target does not exist yet.
    await expect(f.rows('big', 'count(*) AS n')).rejects.toThrow(/does not exist|no such table/);

    // Changes between the runs, and changes committed while the chunks are being read
    // (after the snapshot was exported): the stream must bring them, exactly once.
    await f.source.query("UPDATE big SET n = n + 1000, note = 'between' WHERE id % 10 = 0");
    await f.source.query('DELETE FROM big WHERE id BETWEEN 100 AND 199');
    const spy: Spy = {
      reads: [],
      lsns: [],
      during: async () => {
        await f.source.query("INSERT INTO big SELECT g, 1, 'during' FROM generate_series(20001, 20500) g");
        await f.source.query("UPDATE big SET note = 'during' WHERE id % 7 = 0");
        await f.source.query('DELETE FROM big WHERE id BETWEEN 5000 AND 5099');
      },
    };
    const before = Date.now();
    const second = await f.run(project, spyingRegistry(spy));
    const after = Date.now();
    expect(second.error).toBeNull();
    expect(spy.reads).toHaveLength(4);
    expect(new Set(spy.reads.map((r) => JSON.stringify(r.chunk))).size).toBe(4);
    expect(spy.reads.every((r) => r.chunk !== undefined)).toBe(true);
    const log = await f.state.readLog(second.runId);
    expect(log.some((l) => l.message.includes('did not finish'))).toBe(true);
    expect(log.filter((l) => l.message.startsWith('snapshot chunk ')).length).toBe(4);
    expect(log.some((l) => l.message.includes(`4 snapshot chunk(s), ${atOnce} at once`))).toBe(true);
    await expectSource();
    const rows = await f.rows('big', 'id, n, note');
    expect(normal(rows.filter((r) => Number(r['id']) === 20 || Number(r['id']) === 20500))).toEqual([['20', 1020, 'between'], ['20500', 1, 'during']]);
    expect(rows.some((r) => Number(r['id']) === 150 || Number(r['id']) === 5050)).toBe(false);
    expect(await f.query(TYPES[kind].sql)).toEqual(TYPES[kind].expected);
    expect((await f.query(TABLES[kind])).map((r) => r['name'])).not.toContainEqual(expect.stringMatching(/^_ferry_chunked_/));
    // Ferry's columns: rows as the new snapshot has them carry its position (none the killed
    // snapshot's); rows changed while the chunks were read carry their change's.
    const { _ferry_lsn: lsnType, _ferry_synced_at: syncedType } = CDC_COLUMN_TYPES[kind];
    expect(await f.ferryColumnTypes('big')).toEqual({ _ferry_lsn: lsnType, _ferry_synced_at: syncedType });
    expect(killed.lsns).toHaveLength(1);
    expect(spy.lsns).toHaveLength(1);
    const snapshot = spy.lsns?.[0] ?? 0n;
    expect(snapshot).toBeGreaterThan(killed.lsns?.[0] ?? 0n);
    const notes = new Map(rows.map((r) => [String(r['id']), r['note']]));
    const meta = await f.ferryRows('big');
    const wrong = meta.filter((r) => {
      const during = notes.get(r.id) === 'during';
      const lsnRight = during ? BigInt(r.lsn ?? 0) > snapshot : r.lsn === String(snapshot);
      return !lsnRight || r.synced === null || r.synced === undefined || r.synced < before || r.synced > after;
    });
    expect(wrong).toEqual([]);
    expect(meta.filter((r) => notes.get(r.id) !== 'during').length).toBeGreaterThan(15000);

    // And it keeps streaming from the snapshot position: an update by key, a delete and an insert.
    await f.source.query("UPDATE big SET n = -1 WHERE id < 50; DELETE FROM big WHERE id = 60; INSERT INTO big VALUES (30000, 3, 'after')");
    const third = await f.run(project);
    expect(third.error).toBeNull();
    await expectSource();
    const changed = normal(await f.query('SELECT id, n, note FROM big WHERE id IN (1, 49, 50, 60, 30000) ORDER BY id'));
    expect(changed).toEqual([['1', -1, 'row 1'], ['49', -1, 'during'], ['50', 1050, 'between'], ['30000', 3, 'after']]);
    const later = new Map((await f.ferryRows('big')).map((r) => [r.id, r]));
    expect(BigInt(later.get('1')?.lsn ?? 0)).toBeGreaterThan(snapshot);
    expect(later.get('1')?.synced).toBeGreaterThanOrEqual(after);
    expect(later.get('50')?.lsn).toBe(String(snapshot));
  });

  it('fills Ferry\'s columns in every chunk, before any change; changes overwrite them', async () => {
    await f.source.query('CREATE TABLE meta (id bigint PRIMARY KEY, v text)');
    await f.source.query("INSERT INTO meta SELECT g, 'v' || g FROM generate_series(1, 4000) g");
    const slot = `${f.slot}_meta`;
    const project = f.project([{ name: 'public.meta', chunks: 4, parallelism: 2 }], { slot, lsn_column: true, synced_at_column: true, deletes: 'soft' });
    try {
      const spy: Spy = { reads: [], lsns: [] };
      const before = Date.now();
      const first = await f.run(project, spyingRegistry(spy));
      const after = Date.now();
      expect(first.error).toBeNull();
      expect(spy.reads.filter((r) => r.chunk !== undefined).length).toBeGreaterThan(1);
      const snapshot = String(spy.lsns?.[0]);
      expect(await f.ferryColumnTypes('meta')).toEqual(CDC_COLUMN_TYPES[kind]);
      const loaded = await f.ferryRows('meta');
      expect(loaded).toHaveLength(4000);
      expect(loaded.filter((r) => r.lsn !== snapshot || r.deleted !== null || r.synced === null || r.synced === undefined || r.synced < before || r.synced > after)).toEqual([]);
      expect((await f.query('SELECT count(*) AS n FROM meta WHERE _ferry_deleted_at IS NULL')).map((r) => Number(r['n']))).toEqual([4000]);

      await f.source.query("UPDATE meta SET v = 'changed' WHERE id = 1; DELETE FROM meta WHERE id = 2");
      expect((await f.run(project)).error).toBeNull();
      const byId = new Map((await f.ferryRows('meta')).map((r) => [r.id, r]));
      expect(BigInt(byId.get('1')?.lsn ?? 0)).toBeGreaterThan(BigInt(snapshot));
      expect(byId.get('1')?.synced).toBeGreaterThanOrEqual(after);
      expect(byId.get('1')?.deleted).toBeNull();
      expect(byId.get('2')?.deleted).toBeGreaterThanOrEqual(after);
      expect(byId.get('3')).toEqual(loaded[2]);
    } finally {
      await dropSlot(f.source, slot);
    }
  });
});
