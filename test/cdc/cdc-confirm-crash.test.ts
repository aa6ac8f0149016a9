import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ConnectorRegistry } from '../../src/connectors/registry.js';
import { captureRegistry, cdcFixture, slotConfirmed, type CdcFixture } from './cdc-fixture.js';

// Creating a replication slot waits for every transaction running on the server to end:
// on a shared server that can take minutes.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

/**
 * The window between the destination commit and the slot confirmation, hit on
 * purpose: the process "dies" in `confirm`. The slot then sends the applied
 * transactions again — including several changes that share one commit LSN —
 * and the next run must skip them (stored position), not lose or repeat them.
 */
let f: CdcFixture;

function crashingRegistry(): ConnectorRegistry {
  return captureRegistry((capture) => {
    capture.confirm = () => Promise.reject(new Error('killed between the destination commit and the confirmation'));
    return capture;
  });
}

beforeAll(async () => {
  f = await cdcFixture('confirm');
  await f.source.query('CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL, log text NOT NULL)');
  await f.source.query("INSERT INTO counters SELECT g, 0, '' FROM generate_series(1, 50) g");
});
afterAll(async () => {
  await f.close();
});

describe('crash between destination commit and slot confirmation', () => {
  it('skips re-sent transactions on resume: no loss, no double apply', async () => {
    const project = f.project([{ name: 'public.counters' }], { lsn_column: true, synced_at_column: true });
    expect((await f.run(project)).error).toBeNull();
    const confirmedBefore = await slotConfirmed(f.source, f.slot);
    // One transaction, many changes sharing its commit LSN; log grows on every apply of an update.
    await f.source.query("BEGIN; UPDATE counters SET n = n + 1, log = log || 'a' WHERE id <= 10; DELETE FROM counters WHERE id = 50; INSERT INTO counters VALUES (51, 0, 'new'); UPDATE counters SET n = n + 1, log = log || 'b' WHERE id <= 5; COMMIT");
    await f.source.query("UPDATE counters SET n = n + 100, log = log || 'c' WHERE id = 1");
    const crashed = await f.run(project, crashingRegistry());
    expect(crashed.status).toBe('failed');
    expect(crashed.error).toContain('killed between the destination commit and the confirmation');
    // The target has the changes; the slot was not confirmed past them.
    const expected = (await f.source.query('SELECT id, n, log FROM counters ORDER BY id')).rows;
    expect(await f.rows('counters', 'id, n, log')).toEqual(expected);
    expect(await slotConfirmed(f.source, f.slot)).toBe(confirmedBefore);
    // _ferry_synced_at changes whenever a row is written: equal after the resume means skipped, not re-applied.
    const written = await f.rows('counters', 'id, _ferry_lsn::text AS lsn, _ferry_synced_at::text AS at');

    const walBeforeResume = (await f.source.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]?.lsn;

    const resumed = await f.run(project);
    expect(resumed.error).toBeNull();
    expect(await f.rows('counters', 'id, n, log')).toEqual(expected);
    expect(await f.rows('counters', 'id, _ferry_lsn::text AS lsn, _ferry_synced_at::text AS at')).toEqual(written);
    // The recovery run confirmed its catch-up mark, written after everything above: the server
    // saw it (pg_replication_slots), so the WAL of the re-sent transactions is released.
    const confirmedAfter = await slotConfirmed(f.source, f.slot);
    const advanced = await f.source.query<{ ok: boolean }>('SELECT $1::pg_lsn > $2::pg_lsn AND $1::pg_lsn >= $3::pg_lsn AS ok', [confirmedAfter, confirmedBefore, walBeforeResume]);
    expect(advanced.rows[0]?.ok, `confirmed ${confirmedAfter}, before the crash ${confirmedBefore}, WAL before the resume ${walBeforeResume}`).toBe(true);
  });
});
