import { describe, expect, it } from 'vitest';
import type { OpenRequest, StreamWriter } from './connector.js';
import { ConfigError, DataError } from './errors.js';
import { addsColumns, cdcColumns, FerryColumns, frozenOut } from './ferry-columns.js';
import { checkMirrorGuard, mirrorGuardNeeded } from './mirror-guard.js';
import type { Batch } from './schema.js';

const base: OpenRequest = {
  sync: 's',
  stream: 'orders',
  runId: 'run-7',
  target: { name: 'orders' },
  columns: [{ name: 'id', type: { kind: 'int64' }, nullable: false }],
  write: 'mirror',
  primaryKey: ['id'],
  schemaChange: 'evolve',
};
const batch: Batch = { columns: base.columns, rows: [[1n], [2n]] };

describe('FerryColumns', () => {
  it('appends metadata columns and the soft-delete column with their values', () => {
    const ferry = FerryColumns.of({ ...base, mirror: { delete: 'soft', allowEmpty: false }, metadataColumns: ['run_id', 'synced_at'], syncedAt: '2024-01-02T03:04:05.5Z' });
    expect(ferry.request.columns.map((c) => [c.name, c.type.kind])).toEqual([['id', 'int64'], ['_ferry_run_id', 'string'], ['_ferry_synced_at', 'timestamptz'], ['_ferry_deleted_at', 'timestamptz']]);
    expect(ferry.widen(batch).rows).toEqual([[1n, 'run-7', '2024-01-02T03:04:05.5Z', null], [2n, 'run-7', '2024-01-02T03:04:05.5Z', null]]);
  });

  it('leaves a plain request alone and keeps the writer (with writeRaw) as it is', () => {
    const request: OpenRequest = { ...base, write: 'merge' };
    const ferry = FerryColumns.of(request);
    expect(ferry.request).toBe(request);
    expect(ferry.widen(batch)).toBe(batch);
    const writer = { writeRaw: async () => ({ rows: 0 }) } as unknown as StreamWriter;
    expect(ferry.wrap(writer)).toBe(writer);
    expect(addsColumns({ write: 'mirror', mirror: { delete: 'hard', allowEmpty: false } })).toBe(false);
  });

  it('hides writeRaw when it adds columns (raw bytes cannot carry them)', () => {
    const ferry = FerryColumns.of({ ...base, write: 'replace', metadataColumns: ['run_id'] });
    const writer = { writeRaw: async () => ({ rows: 0 }) } as unknown as StreamWriter;
    expect(ferry.wrap(writer).writeRaw).toBeUndefined();
    expect(addsColumns({ write: 'replace', metadataColumns: ['run_id'] })).toBe(true);
  });

  it('appends a cdc snapshot\'s columns as the change apply has them: its LSN, the sync time, no deletion', () => {
    const cdcSnapshot = { deletes: 'soft' as const, lsnColumn: true, syncedAtColumn: true, lsn: 0x1_6b3f28n };
    const ferry = FerryColumns.of({ ...base, write: 'replace', cdcSnapshot, syncedAt: '2024-01-02T03:04:05.5Z' });
    expect(ferry.request.columns.map((c) => [c.name, c.type.kind])).toEqual([['id', 'int64'], ['_ferry_lsn', 'int64'], ['_ferry_synced_at', 'timestamptz'], ['_ferry_deleted_at', 'timestamptz']]);
    expect(ferry.request.columns.slice(1)).toEqual(cdcColumns(cdcSnapshot));
    expect(ferry.widen(batch).rows).toEqual([[1n, 0x1_6b3f28n, '2024-01-02T03:04:05.5Z', null], [2n, 0x1_6b3f28n, '2024-01-02T03:04:05.5Z', null]]);
    expect(addsColumns({ write: 'replace', cdcSnapshot })).toBe(true);
    // Only the settings asked for; nothing at all leaves the request alone.
    expect(FerryColumns.of({ ...base, write: 'replace', cdcSnapshot: { ...cdcSnapshot, deletes: 'hard', syncedAtColumn: false } }).request.columns.map((c) => c.name)).toEqual(['id', '_ferry_lsn']);
    const none = { ...base, write: 'replace' as const, cdcSnapshot: { deletes: 'hard' as const, lsnColumn: false, syncedAtColumn: false } };
    expect(FerryColumns.of(none).request).toBe(none);
    expect(addsColumns(none)).toBe(false);
    // A name asked for twice (metadata_columns and the cdc setting) is added once.
    expect(FerryColumns.of({ ...base, write: 'replace', cdcSnapshot, metadataColumns: ['synced_at'] }).request.columns.map((c) => c.name)).toEqual(['id', '_ferry_lsn', '_ferry_synced_at', '_ferry_deleted_at']);
    expect(() => FerryColumns.of({ ...base, write: 'replace', cdcSnapshot: { deletes: 'hard', lsnColumn: true, syncedAtColumn: false } })).toThrow(/needs the snapshot's LSN/);
    const clash = { ...base, write: 'replace' as const, columns: [...base.columns, { name: '_ferry_lsn', type: { kind: 'int64' as const }, nullable: true }], cdcSnapshot };
    expect(() => FerryColumns.of(clash)).toThrow(ConfigError);
  });

  it('lets schema_change: freeze refuse every missing column but a cdc snapshot\'s own', () => {
    const missing = [{ name: '_ferry_lsn' }, { name: 'w' }, { name: '_ferry_synced_at' }];
    expect(frozenOut({ cdcSnapshot: { deletes: 'hard', lsnColumn: true, syncedAtColumn: true } }, missing)).toEqual([{ name: 'w' }]);
    expect(frozenOut({ cdcSnapshot: { deletes: 'hard', lsnColumn: true, syncedAtColumn: false } }, missing)).toEqual([{ name: 'w' }, { name: '_ferry_synced_at' }]);
    expect(frozenOut({}, missing)).toEqual(missing);
  });

  it('refuses a stream column named like a Ferry column, and mirror without a key', () => {
    const clash = { ...base, columns: [...base.columns, { name: '_ferry_run_id', type: { kind: 'string' as const }, nullable: true }], metadataColumns: ['run_id' as const] };
    expect(() => FerryColumns.of(clash)).toThrow(ConfigError);
    expect(() => FerryColumns.of({ ...base, primaryKey: [] })).toThrow(/needs a primary key/);
  });
});

describe('mirror guard', () => {
  const options = { delete: 'hard' as const, allowEmpty: false };
  const guard = (staged: number, live: number, missing: number, extra = {}) => () =>
    checkMirrorGuard({ stream: 'orders', target: 'orders', options: { ...options, ...extra }, staged, counts: { live, missing } });

  it('refuses an empty load that would delete rows, unless allowed; an empty scope passes', () => {
    expect(guard(0, 3, 3)).toThrow(DataError);
    expect(guard(0, 3, 3)).toThrow(/no rows; mirroring would delete all 3 rows/);
    expect(guard(0, 3, 3, { allowEmpty: true })).not.toThrow();
    expect(guard(0, 0, 0)).not.toThrow();
  });

  it('refuses more than maxDeletePercent of the live rows; exactly the limit passes', () => {
    expect(guard(2, 4, 3, { maxDeletePercent: 50 })).toThrow(/3 of the 4 rows .*75\.0%/);
    expect(guard(2, 4, 2, { maxDeletePercent: 50 })).not.toThrow();
    expect(guard(2, 4, 1, { maxDeletePercent: 0 })).toThrow(DataError);
  });

  it('counts only when a guard could refuse', () => {
    expect(mirrorGuardNeeded(options, 5)).toBe(false);
    expect(mirrorGuardNeeded(options, 0)).toBe(true);
    expect(mirrorGuardNeeded({ ...options, allowEmpty: true }, 0)).toBe(false);
    expect(mirrorGuardNeeded({ ...options, maxDeletePercent: 10 }, 5)).toBe(true);
  });
});
