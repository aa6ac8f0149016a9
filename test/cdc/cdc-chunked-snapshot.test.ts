import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SnapshotSession } from '../../src/core/change-capture.js';
import type { ReadRequest } from '../../src/core/connector.js';
import type { Batch } from '../../src/core/schema.js';
import type { ConnectorRegistry } from '../../src/connectors/registry.js';
import { captureRegistry, cdcFixture, type CdcFixture, type DestinationKind } from './cdc-fixture.js';

// Creating a replication slot waits for every transaction running on the server to end.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

interface Spy {
  /** Reads of the snapshot, with the chunk each asked for. */
  readonly reads: ReadRequest[];
  /** Runs once, inside the first chunk read, after the reader imported the snapshot. */
  during?: () => Promise<void>;
  /** Fail the read of this chunk (0-based, in read order) after its first batch. */
  failAt?: number;
}

/** The postgres connector with its snapshot reads observed (and, on demand, failing: a killed run). */
function spyingRegistry(spy: Spy): ConnectorRegistry {
  const wrapSession = (session: SnapshotSession): SnapshotSession => ({
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
    const project = f.project([{ name: 'public.big', chunks: 4, parallelism: 2 }]);
    // Postgres takes chunks from two writers at once; SQLite and DuckDB (one writer per file) one after another.
    const atOnce = kind === 'postgres' ? 2 : 1;

    // First run: the third chunk read "dies" (the run fails after some chunks committed).
    const killed: Spy = { reads: [], failAt: 2 };
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
      during: async () => {
        await f.source.query("INSERT INTO big SELECT g, 1, 'during' FROM generate_series(20001, 20500) g");
        await f.source.query("UPDATE big SET note = 'during' WHERE id % 7 = 0");
        await f.source.query('DELETE FROM big WHERE id BETWEEN 5000 AND 5099');
      },
    };
    const second = await f.run(project, spyingRegistry(spy));
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

    // And it keeps streaming from the snapshot position: an update by key, a delete and an insert.
    await f.source.query("UPDATE big SET n = -1 WHERE id < 50; DELETE FROM big WHERE id = 60; INSERT INTO big VALUES (30000, 3, 'after')");
    const third = await f.run(project);
    expect(third.error).toBeNull();
    await expectSource();
    const after = normal(await f.query('SELECT id, n, note FROM big WHERE id IN (1, 49, 50, 60, 30000) ORDER BY id'));
    expect(after).toEqual([['1', -1, 'row 1'], ['49', -1, 'during'], ['50', 1050, 'between'], ['30000', 3, 'after']]);
  });
});
