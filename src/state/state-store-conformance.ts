import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointState } from '../core/checkpoint.js';
import { BIG, ISO_MS, line, streamRecord, unique, type StateStoreHarness } from './conformance-fixtures.js';
import { describeLockConformance } from './lock-conformance.js';
import { describeRunExtrasConformance } from './run-extras-conformance.js';
import { describeSyncControlsConformance } from './sync-controls-conformance.js';
import type { StateStore } from './state-store.js';

export type { StateStoreHarness } from './conformance-fixtures.js';

/**
 * The behaviour every StateStore must show, run against each database by its
 * own test file. Tests share one database per file and keep apart by using
 * fresh sync names and run ids.
 */
/** Register the conformance tests for one StateStore implementation. */
export function describeStateStore(name: string, harness: StateStoreHarness): void {
  describe(`StateStore conformance: ${name}`, () => {
    let store: StateStore;
    beforeAll(async () => {
      store = await harness.open();
    });
    afterAll(async () => {
      await store.close();
    });

    describe('runs', () => {
      it('creates a run as running with a database timestamp and its options', async () => {
        const sync = unique('shop');
        const run = await store.createRun({ id: unique('run'), sync, status: 'running', options: { streams: ['orders'], fullRefresh: true } });
        expect(run).toMatchObject({ sync, status: 'running', finishedAt: null, error: null, rowsRead: 0, rowsWritten: 0, bytesRead: 0 });
        expect(run.startedAt).toMatch(ISO_MS);
        expect(Math.abs(Date.parse(run.startedAt) - Date.now())).toBeLessThan(60_000);
        expect(await store.getRun(run.id)).toEqual({ ...run, options: { streams: ['orders'], fullRefresh: true } });
      });

      it('finishes a run with counts above 2^31 and an error', async () => {
        const id = unique('run');
        await store.createRun({ id, sync: unique('shop'), status: 'running', options: {} });
        await store.finishRun(id, { status: 'failed', error: 'orders: boom', rowsRead: BIG, rowsWritten: BIG - 1, bytesRead: 2 ** 40 });
        const run = await store.getRun(id);
        expect(run).toMatchObject({ status: 'failed', error: 'orders: boom', rowsRead: BIG, rowsWritten: BIG - 1, bytesRead: 2 ** 40 });
        expect(run?.finishedAt).toMatch(ISO_MS);
        expect(Date.parse(run?.finishedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(run?.startedAt ?? ''));
      });

      it('refuses to finish a run it never created', async () => {
        await expect(store.finishRun(unique('ghost'), { status: 'success', error: null, rowsRead: 0, rowsWritten: 0, bytesRead: 0 })).rejects.toThrow(/no such run/);
      });

      it('returns undefined for an unknown run', async () => {
        expect(await store.getRun(unique('ghost'))).toBeUndefined();
      });

      it('lists runs of a sync newest first, 20 by default, with a limit', async () => {
        const sync = unique('shop');
        const ids = Array.from({ length: 23 }, (_, i) => `${sync}-run-${String(i).padStart(2, '0')}`);
        for (const id of ids) await store.createRun({ id, sync, status: 'success', options: {} });
        await store.createRun({ id: unique('other'), sync: unique('other'), status: 'running', options: {} });
        const newestFirst = [...ids].reverse();
        expect((await store.listRuns({ sync })).map((r) => r.id)).toEqual(newestFirst.slice(0, 20));
        expect((await store.listRuns({ sync, limit: 3 })).map((r) => r.id)).toEqual(newestFirst.slice(0, 3));
        const all = await store.listRuns({ limit: 1000 });
        expect(all.filter((r) => r.sync === sync)).toHaveLength(23);
        expect(all.map((r) => r.startedAt)).toEqual([...all.map((r) => r.startedAt)].sort().reverse());
      });
    });

    describe('run streams', () => {
      it('saves, replaces and lists stream records with checkpoint JSON and SQL', async () => {
        const runId = unique('run');
        await store.createRun({ id: runId, sync: unique('shop'), status: 'running', options: {} });
        const before: CheckpointState = { cursor: { column: 'updated_at', kind: 'timestamptz', value: '2024-01-01T00:00:00Z', boundaryKeys: ['[1]', '["a\\"b"]'] } };
        const after: CheckpointState = { cursor: { column: 'updated_at', kind: 'timestamptz', value: '2024-02-01T00:00:00Z', boundaryKeys: [] }, pages: 3 };
        await store.saveRunStream(streamRecord(runId, 'orders', { checkpointBefore: before }));
        await store.saveRunStream(streamRecord(runId, 'customers', { startedAt: '2026-01-02T03:04:06.000Z' }));
        const done = streamRecord(runId, 'orders', {
          status: 'success',
          finishedAt: '2026-01-02T03:09:00.001Z',
          rowsRead: BIG,
          rowsWritten: 7,
          bytesRead: 2 ** 45,
          sql: ['select * from "public"."orders" where updated_at >= $1', 'insert into analytics.orders ...'],
          checkpointBefore: before,
          checkpointAfter: after,
        });
        await store.saveRunStream(done);
        const listed = await store.listRunStreams(runId);
        expect(listed).toEqual([done, streamRecord(runId, 'customers', { startedAt: '2026-01-02T03:04:06.000Z' })]);
        expect(await store.listRunStreams(unique('ghost'))).toEqual([]);
      });
    });

    describe('logs', () => {
      it('numbers lines from 1 in order, keeps fields, and tails after a seq', async () => {
        const runId = unique('run');
        await store.appendLog([line(runId, null, 'start'), { ...line(runId, 'orders', 'copied'), level: 'warn', fields: { rows: 5, nested: { ok: true } } }]);
        await store.appendLog([line(runId, 'orders', 'done')]);
        const all = await store.readLog(runId);
        expect(all.map((l) => [l.seq, l.stream, l.level, l.message])).toEqual([
          [1, null, 'info', 'start'],
          [2, 'orders', 'warn', 'copied'],
          [3, 'orders', 'info', 'done'],
        ]);
        expect(all[1]?.fields).toEqual({ rows: 5, nested: { ok: true } });
        expect(all[0]?.fields).toBeNull();
        expect((await store.readLog(runId, 2)).map((l) => l.message)).toEqual(['done']);
        expect(await store.readLog(runId, 3)).toEqual([]);
      });

      it('keeps the lines of several runs in one call apart', async () => {
        const a = unique('run');
        const b = unique('run');
        await store.appendLog([line(a, null, 'a1'), line(b, null, 'b1'), line(a, null, 'a2')]);
        expect((await store.readLog(a)).map((l) => `${l.seq}:${l.message}`)).toEqual(['1:a1', '2:a2']);
        expect((await store.readLog(b)).map((l) => `${l.seq}:${l.message}`)).toEqual(['1:b1']);
      });

      it('gives concurrent appends from 4 streams distinct gap-free seqs in each stream order', async () => {
        const runId = unique('run');
        const streams = ['orders', 'customers', 'items', 'payments'];
        await Promise.all(
          streams.map(async (stream) => {
            for (let batch = 0; batch < 25; batch++) {
              await store.appendLog([0, 1, 2, 3].map((i) => line(runId, stream, `${stream} ${batch * 4 + i}`)));
            }
          }),
        );
        const lines = await store.readLog(runId);
        expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
        for (const stream of streams) {
          const messages = lines.filter((l) => l.stream === stream).map((l) => l.message);
          expect(messages).toEqual(Array.from({ length: 100 }, (_, i) => `${stream} ${i}`));
        }
      });

      it('writes a large batch in one append', async () => {
        const runId = unique('run');
        await store.appendLog(Array.from({ length: 1234 }, (_, i) => line(runId, 'orders', `line ${i}`)));
        const lines = await store.readLog(runId, 1200);
        expect(lines.map((l) => [l.seq, l.message])).toEqual(Array.from({ length: 34 }, (_, i) => [1201 + i, `line ${1200 + i}`]));
      });

      if (harness.parallelConnections) {
        it('gives distinct seqs when two processes append to one run at once', async () => {
          const other = await harness.open();
          try {
            const runId = unique('run');
            await Promise.all(
              [store, other].map(async (s, who) => {
                await Promise.all([0, 1, 2, 3].map(async (n) => {
                  for (let i = 0; i < 10; i++) await s.appendLog([line(runId, `s${who}${n}`, `${i}`), line(runId, `s${who}${n}`, `${i}b`)]);
                }));
              }),
            );
            const seqs = (await store.readLog(runId)).map((l) => l.seq);
            expect(seqs).toEqual(Array.from({ length: 160 }, (_, i) => i + 1));
          } finally {
            await other.close();
          }
        });
      }
    });

    describe('checkpoints', () => {
      it('upserts and ignores a checkpoint with a lower seq', async () => {
        const sync = unique('shop');
        const first: CheckpointState = { cursor: { column: 'id', kind: 'int64', value: '10', boundaryKeys: ['[10]'] } };
        const second: CheckpointState = { cursor: { column: 'id', kind: 'int64', value: '20', boundaryKeys: [] } };
        const manual = Date.now();
        expect(await store.getCheckpoint(sync, 'orders')).toBeUndefined();
        await store.saveCheckpoint({ sync, stream: 'orders', runId: 'r1', seq: 1, state: first });
        expect(await store.getCheckpoint(sync, 'orders')).toEqual({ sync, stream: 'orders', runId: 'r1', seq: 1, state: first });
        await store.saveCheckpoint({ sync, stream: 'orders', runId: 'manual', seq: manual, state: second });
        await store.saveCheckpoint({ sync, stream: 'orders', runId: 'stale', seq: 2, state: first });
        expect(await store.getCheckpoint(sync, 'orders')).toEqual({ sync, stream: 'orders', runId: 'manual', seq: manual, state: second });
        await store.saveCheckpoint({ sync, stream: 'orders', runId: 'same', seq: manual, state: {} });
        expect(await store.getCheckpoint(sync, 'orders')).toEqual({ sync, stream: 'orders', runId: 'same', seq: manual, state: {} });
      });

      it('lists the checkpoints of one sync by stream', async () => {
        const sync = unique('shop');
        await store.saveCheckpoint({ sync, stream: 'orders', runId: 'r', seq: 3, state: { page: 'x' } });
        await store.saveCheckpoint({ sync, stream: 'customers', runId: 'r', seq: 4, state: {} });
        await store.saveCheckpoint({ sync: unique('other'), stream: 'orders', runId: 'r', seq: 9, state: {} });
        expect(await store.listCheckpoints(sync)).toEqual([
          { sync, stream: 'customers', runId: 'r', seq: 4, state: {} },
          { sync, stream: 'orders', runId: 'r', seq: 3, state: { page: 'x' } },
        ]);
      });

      it('keeps only the highest seq when many saves race', async () => {
        const sync = unique('shop');
        const seqs = Array.from({ length: 30 }, (_, i) => ((i * 7) % 30) + 1);
        await Promise.all(seqs.map((seq) => store.saveCheckpoint({ sync, stream: 's', runId: `r${seq}`, seq, state: { seq } })));
        expect(await store.getCheckpoint(sync, 's')).toEqual({ sync, stream: 's', runId: 'r30', seq: 30, state: { seq: 30 } });
      });
    });

    describeLockConformance(() => store, harness);
    describeRunExtrasConformance(() => store);
    describeSyncControlsConformance(() => store);

    describe('orphaned runs', () => {
      it('fails running runs without the lock, with their running streams, and nothing else', async () => {
        const sync = unique('shop');
        const other = unique('other');
        for (const [id, s] of [['dead', sync], ['live', sync], ['done', sync], ['elsewhere', other]] as const) {
          await store.createRun({ id: `${sync}-${id}`, sync: s, status: 'running', options: {} });
        }
        await store.finishRun(`${sync}-done`, { status: 'success', error: null, rowsRead: 1, rowsWritten: 1, bytesRead: 1 });
        await store.saveRunStream(streamRecord(`${sync}-dead`, 'orders'));
        await store.saveRunStream(streamRecord(`${sync}-dead`, 'items', { status: 'success' }));
        expect(await store.acquireLock(sync, `${sync}-live`, 'host:1', 60_000)).toBe(true);

        expect(await store.failOrphanedRuns(sync, 'process died')).toBe(1);
        const dead = await store.getRun(`${sync}-dead`);
        expect(dead).toMatchObject({ status: 'failed', error: 'process died' });
        expect(dead?.finishedAt).toMatch(ISO_MS);
        expect((await store.listRunStreams(`${sync}-dead`)).map((s) => [s.stream, s.status, s.error])).toEqual([
          ['items', 'success', null],
          ['orders', 'failed', 'process died'],
        ]);
        expect((await store.getRun(`${sync}-live`))?.status).toBe('running');
        expect((await store.getRun(`${sync}-done`))?.status).toBe('success');
        expect((await store.getRun(`${sync}-elsewhere`))?.status).toBe('running');
        expect(await store.failOrphanedRuns(sync, 'again')).toBe(0);
      });
    });

    describe('migrations and reopening', () => {
      it('migrates again without error and keeps the data', async () => {
        const id = unique('run');
        await store.createRun({ id, sync: unique('shop'), status: 'running', options: { a: 1 } });
        await store.migrate();
        await store.migrate();
        expect((await store.getRun(id))?.options).toEqual({ a: 1 });
      });

      it('shows another connection, opened later, everything written', async () => {
        const sync = unique('shop');
        const id = unique('run');
        await store.createRun({ id, sync, status: 'running', options: {} });
        await store.appendLog([line(id, null, 'hello')]);
        await store.saveCheckpoint({ sync, stream: 'orders', runId: id, seq: 5, state: { k: 'v' } });
        const later = await harness.open();
        try {
          expect((await later.getRun(id))?.sync).toBe(sync);
          expect((await later.readLog(id)).map((l) => l.message)).toEqual(['hello']);
          expect((await later.getCheckpoint(sync, 'orders'))?.state).toEqual({ k: 'v' });
        } finally {
          await later.close();
        }
      });
    });
  });
}
