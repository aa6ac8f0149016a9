import { describe, expect, it } from 'vitest';
import { unique } from './conformance-fixtures.js';
import type { StateStore } from './state-store.js';

/** Pauses and the audit log: part of the StateStore conformance suite. */
export function describeSyncControlsConformance(current: () => StateStore): void {
  describe('pauses', () => {
    it('pauses a sync and its streams once each, lists them, and removes some or all', async () => {
      const store = current();
      const sync = unique('pause');
      expect(await store.listPauses(sync)).toEqual([]);
      expect(await store.savePause({ sync, stream: null, pausedBy: 'ann', reason: 'maintenance' })).toBe(true);
      expect(await store.savePause({ sync, stream: 'public.orders', pausedBy: 'bob', reason: null })).toBe(true);
      expect(await store.savePause({ sync, stream: 'public.orders', pausedBy: 'carl', reason: 'again' })).toBe(false);
      expect(await store.savePause({ sync: `${sync}_other`, stream: 'public.orders', pausedBy: 'dan', reason: null })).toBe(true);
      const pauses = await store.listPauses(sync);
      expect(pauses.map(({ pausedAt: _at, ...rest }) => rest)).toEqual([
        { sync, stream: null, pausedBy: 'ann', reason: 'maintenance' },
        { sync, stream: 'public.orders', pausedBy: 'bob', reason: null },
      ]);
      expect(pauses.every((p) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(p.pausedAt))).toBe(true);

      expect((await store.deletePauses(sync, [null])).map((p) => p.stream)).toEqual([null]);
      expect((await store.listPauses(sync)).map((p) => p.stream)).toEqual(['public.orders']);
      expect(await store.deletePauses(sync, ['public.missing'])).toEqual([]);
      expect(await store.deletePauses(sync, [])).toEqual([]);
      await store.savePause({ sync, stream: 'public.items', pausedBy: 'ann', reason: null });
      expect((await store.deletePauses(sync)).map((p) => p.stream)).toEqual(['public.items', 'public.orders']);
      expect(await store.listPauses(sync)).toEqual([]);
      expect((await store.listPauses(`${sync}_other`)).map((p) => p.pausedBy)).toEqual(['dan']);
    });
  });

  describe('audit log', () => {
    it('appends entries with details and lists them newest first, by target and limit', async () => {
      const store = current();
      const sync = unique('audit');
      await store.appendAudit({ actor: 'ann', action: 'cdc.pause', target: sync, details: { streams: ['public.orders'], lsn: '0/16B3748' } });
      await store.appendAudit({ actor: 'bob', action: 'cdc.resume', target: sync, details: null });
      await store.appendAudit({ actor: 'bob', action: 'cdc.drop', target: `${sync}_other`, details: {} });
      const entries = await store.listAudit({ target: sync });
      expect(entries.map(({ id: _id, at: _at, ...rest }) => rest)).toEqual([
        { actor: 'bob', action: 'cdc.resume', target: sync, details: null },
        { actor: 'ann', action: 'cdc.pause', target: sync, details: { streams: ['public.orders'], lsn: '0/16B3748' } },
      ]);
      expect(entries[0]!.id).toBeGreaterThan(entries[1]!.id);
      expect(await store.listAudit({ target: sync, limit: 1 })).toHaveLength(1);
      expect((await store.listAudit({ limit: 1 }))[0]).toMatchObject({ action: 'cdc.drop', target: `${sync}_other` });
    });
  });
}
