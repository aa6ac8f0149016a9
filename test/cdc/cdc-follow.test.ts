import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cdcFixture, slotConfirmed, type CdcFixture, until as untilFound } from './cdc-fixture.js';

// Creating a replication slot waits for every transaction running on the server to end:
// on a shared server that can take minutes.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

/** `ferry run --follow`: changes land while the run follows; an idle slot is confirmed forward. */
let f: CdcFixture;

/** Polls every 20 ms: the changes are expected quickly. */
const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> => untilFound(what, probe, timeoutMs, 20);

beforeAll(async () => {
  f = await cdcFixture('follow');
  await f.source.query('CREATE TABLE events (id int PRIMARY KEY, v text)');
  await f.source.query('CREATE TABLE noise (id serial PRIMARY KEY, pad text)');
  await f.source.query("INSERT INTO events VALUES (1, 'snapshot')");
});
afterAll(async () => {
  await f.close();
});

describe('ferry run --follow', () => {
  it('applies changes while following, advances an idle slot, and stops on cancel', async () => {
    const controller = new AbortController();
    const project = f.project([{ name: 'public.events' }], { flush_ms: 100, heartbeat_seconds: 1 });
    const running = f.run(project, undefined, { follow: true, signal: controller.signal });
    try {
      // Creating a slot waits for transactions running anywhere on the server: allow for it.
      await until('the snapshot', async () => ((await f.rows('events').catch(() => [])).length === 1 ? true : undefined), 550_000);
      // Warm-up: the first change waits for the stream to start (decoding from the new slot's restart point).
      await f.source.query("INSERT INTO events VALUES (2, 'warm-up')");
      await until('the stream to start', async () => ((await f.rows('events')).length === 2 ? true : undefined), 60_000);
      // Each change lands while the run keeps following (lag is measured by bench/cdc-lag.mjs, not here).
      for (let i = 3; i <= 6; i++) {
        await f.source.query('INSERT INTO events VALUES ($1, $2)', [i, `live ${i}`]);
        await until(`row ${i}`, async () => ((await f.rows('events')).some((r) => r['id'] === i) ? true : undefined));
      }

      // WAL from a table the sync does not capture: only heartbeat marks move the slot past it.
      await f.source.query("INSERT INTO noise (pad) SELECT repeat('x', 100) FROM generate_series(1, 2000)");
      const walAfterNoise = (await f.source.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]?.lsn ?? '';
      await until('the idle slot to advance', async () => {
        const confirmed = await slotConfirmed(f.source, f.slot);
        const past = await f.source.query<{ ok: boolean }>('SELECT $1::pg_lsn >= $2::pg_lsn AS ok', [confirmed, walAfterNoise]);
        return past.rows[0]?.ok ? true : undefined;
      });
    } finally {
      controller.abort();
    }
    const result = await running;
    expect(result.status).toBe('cancelled');
    await f.source.query("INSERT INTO events VALUES (7, 'after the stop')");
    expect((await f.run(project)).error).toBeNull();
    expect((await f.rows('events')).map((r) => r['id'])).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});
