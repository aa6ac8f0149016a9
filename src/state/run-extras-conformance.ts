import { describe, expect, it } from 'vitest';
import { BIG, unique } from './conformance-fixtures.js';
import type { RunHookRecord, RunWatermarkRecord, StateStore } from './state-store.js';

function watermark(runId: string, patch: Partial<RunWatermarkRecord> = {}): RunWatermarkRecord {
  return {
    runId,
    stream: null,
    name: 'last',
    connection: 'warehouse',
    sql: 'select max(updated_at) from raw.orders',
    value: '2024-06-01T00:00:00.000002Z',
    kind: 'timestamptz',
    origin: 'query',
    literal: "'2024-06-01T00:00:00.000002Z'::timestamp with time zone",
    error: null,
    resolvedAt: '2026-01-02T03:04:05.678Z',
    ...patch,
  };
}

function hook(runId: string, seq: number, patch: Partial<RunHookRecord> = {}): RunHookRecord {
  return {
    runId,
    seq,
    stream: 'orders',
    sql: 'analyze raw.orders',
    runOn: 'success',
    status: 'success',
    startedAt: '2026-01-02T03:04:05.678Z',
    finishedAt: '2026-01-02T03:04:05.900Z',
    rowsAffected: null,
    output: null,
    error: null,
    ...patch,
  };
}

/** Watermarks and hooks recorded on a run: part of the StateStore conformance suite. */
export function describeRunExtrasConformance(current: () => StateStore): void {
  describe('run watermarks and hooks', () => {
    it('keeps the watermarks of a run per scope and name, replacing a re-recorded one', async () => {
      const store = current();
      const runId = unique('run');
      const sync = watermark(runId);
      const own = watermark(runId, { stream: 'orders', name: 'last', value: null, kind: 'string', origin: 'default', literal: 'NULL', error: 'relation "raw.orders" does not exist' });
      await store.saveRunWatermarks([sync, own]);
      await store.saveRunWatermarks([{ ...sync, value: '2024-07-01T00:00:00Z' }]);
      expect(await store.listRunWatermarks(runId)).toEqual([{ ...sync, value: '2024-07-01T00:00:00Z' }, own]);
      expect(await store.listRunWatermarks(unique('ghost'))).toEqual([]);
    });

    it('keeps hooks in seq order with counts beyond 32 bits, bounded output and errors', async () => {
      const store = current();
      const runId = unique('run');
      const output = { columns: ['what', 'n'], rows: [['stream', '4'], [null, '9007199254740993']], truncated: true };
      const records = [
        hook(runId, 2, { stream: null, runOn: 'always', output }),
        hook(runId, 1, { rowsAffected: BIG }),
        hook(runId, 3, { status: 'failed', runOn: 'failure', error: 'relation "x" does not exist', finishedAt: null }),
      ];
      for (const record of records) await store.saveRunHook(record);
      await store.saveRunHook({ ...hook(runId, 3), status: 'skipped', error: 'not run' });
      expect(await store.listRunHooks(runId)).toEqual([records[1], records[0], { ...hook(runId, 3), status: 'skipped', error: 'not run' }]);
    });
  });
}
