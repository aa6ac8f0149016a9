import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ChangeCapture, SnapshotSession } from '../../src/core/change-capture.js';
import type { ConnectorDefinition, ReadRequest } from '../../src/core/connector.js';
import type { Batch } from '../../src/core/schema.js';
import { builtinConnectors, type ConnectorRegistry } from '../../src/connectors/registry.js';
import { postgresConnector, type PostgresConfig } from '../../src/connectors/postgres/index.js';
import { cdcFixture, type CdcFixture } from './cdc-fixture.js';

// Creating a replication slot waits for every transaction running on the server to end.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

let f: CdcFixture;

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
  const spying: ConnectorDefinition<PostgresConfig> = {
    ...postgresConnector,
    createSource: (config, ctx) => {
      const source = postgresConnector.createSource?.(config, ctx);
      if (!source?.openChangeCapture) throw new Error('postgres source without cdc');
      const open = source.openChangeCapture.bind(source);
      source.openChangeCapture = (options): ChangeCapture => {
        const capture = open(options);
        const createSlot = capture.createSlot.bind(capture);
        const snapshot = capture.snapshot.bind(capture);
        capture.createSlot = async () => wrapSession(await createSlot());
        capture.snapshot = async () => wrapSession(await snapshot());
        return capture;
      };
      return source;
    },
  };
  return new Map([...builtinConnectors, ['postgres', spying as ConnectorDefinition]]);
}

const ROWS = 'SELECT id, n, note FROM big ORDER BY id';

beforeAll(async () => {
  f = await cdcFixture('chunks');
  await f.source.query('CREATE TABLE big (id bigint PRIMARY KEY, n int NOT NULL, note text)');
  await f.source.query("INSERT INTO big SELECT g, g % 97, 'row ' || g FROM generate_series(1, 20000) g");
});
afterAll(async () => {
  await f.close();
});

describe('chunked cdc snapshot', () => {
  it('reads every chunk at the exported snapshot in parallel; a killed snapshot is loaded again, with no gap or overlap with the stream', async () => {
    const project = f.project([{ name: 'public.big', chunks: 4, parallelism: 2 }]);

    // First run: the third chunk read "dies" (the run fails after some chunks committed).
    const killed: Spy = { reads: [], failAt: 2 };
    const first = await f.run(project, spyingRegistry(killed));
    expect(first.status).toBe('failed');
    expect(first.error).toContain('killed during the chunked snapshot');
    expect(killed.reads.every((r) => r.chunk !== undefined)).toBe(true);
    // Nothing was published: the target does not exist yet.
    await expect(f.rows('big', 'count(*)::int AS n')).rejects.toThrow(/does not exist/);

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
    expect(log.some((l) => l.message.includes('4 snapshot chunk(s), 2 at once'))).toBe(true);
    expect(await f.rows('big', 'id, n, note')).toEqual((await f.source.query(ROWS)).rows);

    // And it keeps streaming from the snapshot position.
    await f.source.query("UPDATE big SET n = -1 WHERE id < 50; INSERT INTO big VALUES (30000, 3, 'after')");
    const third = await f.run(project);
    expect(third.error).toBeNull();
    expect(await f.rows('big', 'id, n, note')).toEqual((await f.source.query(ROWS)).rows);
  });
});
