import { describe, expect, it } from 'vitest';
import { ISO_MS, sleep, unique, type StateStoreHarness } from './conformance-fixtures.js';
import type { StateStore } from './state-store.js';

/** The lock part of the StateStore conformance suite: one live run per sync. */
export function describeLockConformance(current: () => StateStore, harness: StateStoreHarness): void {
  describe('locks', () => {
    it('lets one run hold a sync and refuses a second live run', async () => {
      const store = current();
      const sync = unique('shop');
      expect(await store.getLock(sync)).toBeUndefined();
      expect(await store.acquireLock(sync, 'r1', 'host-a:1', 60_000)).toBe(true);
      expect(await store.acquireLock(sync, 'r2', 'host-b:2', 60_000)).toBe(false);
      expect(await store.acquireLock(sync, 'r1', 'host-a:1', 60_000)).toBe(true);
      const lock = await store.getLock(sync);
      expect(lock).toMatchObject({ sync, runId: 'r1', owner: 'host-a:1' });
      expect(lock?.acquiredAt).toMatch(ISO_MS);
      expect(lock?.heartbeatAt).toMatch(ISO_MS);
      expect(await store.acquireLock(unique('other'), 'r2', 'host-b:2', 60_000)).toBe(true);
    });

    it('moves the heartbeat only for the holder and releases only for the holder', async () => {
      const store = current();
      const sync = unique('shop');
      await store.acquireLock(sync, 'r1', 'host-a:1', 60_000);
      const first = await store.getLock(sync);
      await sleep(15);
      expect(await store.heartbeat(sync, 'intruder')).toBe(false);
      expect((await store.getLock(sync))?.heartbeatAt).toBe(first?.heartbeatAt);
      expect(await store.heartbeat(sync, 'r1')).toBe(true);
      const beaten = await store.getLock(sync);
      expect(Date.parse(beaten?.heartbeatAt ?? '')).toBeGreaterThan(Date.parse(first?.heartbeatAt ?? ''));
      expect(beaten?.acquiredAt).toBe(first?.acquiredAt);
      await store.releaseLock(sync, 'intruder');
      expect((await store.getLock(sync))?.runId).toBe('r1');
      await store.releaseLock(sync, 'r1');
      expect(await store.getLock(sync)).toBeUndefined();
      expect(await store.acquireLock(sync, 'r2', 'host-b:2', 60_000)).toBe(true);
    });

    it('takes over a lock whose heartbeat is stale, and the old holder can no longer touch it', async () => {
      const store = current();
      const sync = unique('shop');
      await store.acquireLock(sync, 'dead', 'host-a:1', 60_000);
      await sleep(40);
      expect(await store.acquireLock(sync, 'r2', 'host-b:2', 60_000)).toBe(false);
      expect(await store.acquireLock(sync, 'r2', 'host-b:2', 20)).toBe(true);
      expect(await store.getLock(sync)).toMatchObject({ runId: 'r2', owner: 'host-b:2' });
      const taken = await store.getLock(sync);
      await store.heartbeat(sync, 'dead');
      await store.releaseLock(sync, 'dead');
      expect(await store.getLock(sync)).toEqual(taken);
    });

    it('lets exactly one of many concurrent acquirers on two connections win', async () => {
      const store = current();
      const other = await harness.open();
      try {
        const sync = unique('shop');
        const attempts = Array.from({ length: 8 }, (_, i) => ({ s: i % 2 === 0 ? store : other, runId: `r${i}` }));
        const won = await Promise.all(attempts.map(({ s, runId }) => s.acquireLock(sync, runId, `host:${runId}`, 60_000)));
        expect(won.filter(Boolean)).toHaveLength(1);
        expect((await other.getLock(sync))?.runId).toBe(attempts[won.indexOf(true)]?.runId);
      } finally {
        await other.close();
      }
    });

    it('lets exactly one of many concurrent acquirers take over a stale lock', async () => {
      const store = current();
      const other = await harness.open();
      try {
        const sync = unique('shop');
        await store.acquireLock(sync, 'dead', 'host:dead', 60_000);
        await other.getLock(sync);
        await sleep(400);
        const attempts = Array.from({ length: 8 }, (_, i) => ({ s: i % 2 === 0 ? store : other, runId: `r${i}` }));
        // Stale after 300 ms: the dead holder's beat is ~400 ms old, the winner's is fresh for the rest.
        const won = await Promise.all(attempts.map(({ s, runId }) => s.acquireLock(sync, runId, `host:${runId}`, 300)));
        expect(won.filter(Boolean)).toHaveLength(1);
        expect((await store.getLock(sync))?.runId).toBe(attempts[won.indexOf(true)]?.runId);
      } finally {
        await other.close();
      }
    });
  });
}
