import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cdcFixture, slotConfirmed, type CdcFixture, until } from './cdc-fixture.js';

// Creating a replication slot waits for every transaction running on the server to end:
// on a shared server that can take minutes. The idle phase itself lasts IDLE_MS.
vi.setConfig({ testTimeout: 900_000, hookTimeout: 600_000 });

/**
 * An idle source for several minutes under `ferry run --follow`: nothing is
 * written to the captured table, yet the slot's confirmed position keeps moving
 * (heartbeat marks), so the slot never pins WAL; and the stream is still alive
 * at the end.
 */
const IDLE_MS = 180_000;
const SAMPLE_MS = 30_000;
let f: CdcFixture;

async function lsnAfter(a: string, b: string): Promise<boolean> {
  const result = await f.source.query<{ ok: boolean }>('SELECT $1::pg_lsn > $2::pg_lsn AS ok', [a, b]);
  return result.rows[0]?.ok === true;
}

beforeAll(async () => {
  f = await cdcFixture('idle');
  await f.source.query('CREATE TABLE quiet (id int PRIMARY KEY, v text)');
  await f.source.query("INSERT INTO quiet VALUES (1, 'snapshot')");
});
afterAll(async () => {
  await f.close();
});

describe('an idle source under --follow', () => {
  it(`keeps confirming the slot forward for ${IDLE_MS / 60_000} minutes, then still applies a change`, async () => {
    const controller = new AbortController();
    const project = f.project([{ name: 'public.quiet' }], { flush_ms: 200, heartbeat_seconds: 5 });
    const running = f.run(project, undefined, { follow: true, signal: controller.signal });
    const samples: string[] = [];
    try {
      await until('the snapshot', async () => ((await f.rows('quiet').catch(() => [])).length === 1 ? true : undefined), 550_000);
      const first = await until('a confirmed position', async () => (await slotConfirmed(f.source, f.slot)) ?? undefined);
      samples.push(first);
      const restartBefore = (await f.source.query<{ lsn: string }>('SELECT restart_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [f.slot])).rows[0]?.lsn ?? '';
      for (let waited = 0; waited < IDLE_MS; waited += SAMPLE_MS) {
        await new Promise((r) => setTimeout(r, SAMPLE_MS));
        samples.push((await slotConfirmed(f.source, f.slot)) ?? '');
      }
      // Every 30 s window moved the confirmed position: no window where the slot sat still.
      for (let i = 1; i < samples.length; i++) {
        expect(await lsnAfter(samples[i] as string, samples[i - 1] as string), `confirmed_flush_lsn ${samples.join(' -> ')}`).toBe(true);
      }
      // The restart point follows, so WAL behind it can be recycled.
      const restartAfter = (await f.source.query<{ lsn: string }>('SELECT restart_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [f.slot])).rows[0]?.lsn ?? '';
      expect(await lsnAfter(restartAfter, restartBefore), `restart_lsn ${restartBefore} -> ${restartAfter}`).toBe(true);
      // Still streaming after the long quiet: a change lands.
      await f.source.query("INSERT INTO quiet VALUES (2, 'after the quiet')");
      await until('the change after the idle phase', async () => ((await f.rows('quiet')).length === 2 ? true : undefined), 60_000);
    } finally {
      controller.abort();
    }
    const result = await running;
    expect(result.status).toBe('cancelled');
    expect(await f.rows('quiet')).toEqual([
      { id: 1, v: 'snapshot' },
      { id: 2, v: 'after the quiet' },
    ]);
  });
});
