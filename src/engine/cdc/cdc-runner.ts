import type { CapturedTable, ChangeApplier, ChangeCapture, ChangeTarget, SnapshotSession } from '../../core/change-capture.js';
import { newerCheckpoint, type Checkpoint } from '../../core/checkpoint.js';
import type { Destination, ReadRequest, Source } from '../../core/connector.js';
import { ConfigError } from '../../core/errors.js';
import { formatLsn } from '../../core/lsn.js';
import type { SyncConfig } from '../../config/project.js';
import { cdcSettingsSchema, type CdcSettings } from '../../config/cdc-schema.js';
import { checkCdcName, defaultCdcName } from './slot-names.js';
import type { StateStore } from '../../state/state-store.js';
import type { PlannedStream } from '../plan-streams.js';
import type { RunLog } from '../run-log.js';
import { applyChanges, type ApplyTotals } from './apply-changes.js';
import { cdcPosition, checkSlot, type CdcPosition } from './cdc-position.js';
import { loadSnapshot } from './cdc-snapshot.js';
import { loadChunkedSnapshot, planSnapshotChunks } from './cdc-chunked-snapshot.js';

export interface CdcRunContext {
  readonly sync: SyncConfig;
  readonly runId: string;
  readonly source: Source;
  readonly destination: Destination;
  readonly state: StateStore;
  readonly log: RunLog;
  readonly signal: AbortSignal;
  /** `ferry run --follow`: stream until cancelled instead of catching up. */
  readonly follow?: boolean;
}

export interface CdcRunResult {
  /** Rows loaded by snapshots, per stream. */
  readonly snapshotRows: ReadonlyMap<string, number>;
  readonly applied: ApplyTotals;
  readonly checkpoints: ReadonlyMap<string, Checkpoint>;
}

/** Slot and publication names of a sync, validated. */
export function cdcNames(sync: SyncConfig): { readonly slot: string; readonly publication: string; readonly settings: CdcSettings } {
  const settings = sync.cdc ?? cdcSettingsSchema.parse({});
  const slot = checkCdcName(settings.slot ?? defaultCdcName(sync.name), 'slot', sync.name);
  const publication = checkCdcName(settings.publication ?? slot, 'publication', sync.name);
  return { slot, publication, settings };
}

/** The tables a sync captures, as the source needs them. */
export function capturedTables(streams: readonly PlannedStream[], knownColumns: ReadonlyMap<string, readonly string[]>): CapturedTable[] {
  return streams.map((s) => {
    if (s.read.kind !== 'table') throw new ConfigError('mode cdc reads tables, not queries', { ...s.location, stream: s.name });
    if (s.where !== undefined) throw new ConfigError('mode cdc cannot filter rows with `where` (deletes and updates of filtered rows would be lost)', { ...s.location, stream: s.name, key: 'where' });
    return { stream: s.name, table: s.read.table, columns: s.columns, knownColumns: knownColumns.get(s.name) ?? s.columns.map((c) => c.name), primaryKey: s.primaryKey };
  });
}

/**
 * One catch-up run of a sync's cdc streams: make sure the publication and slot
 * exist, snapshot every stream that has no position yet, then apply the slot's
 * changes up to the WAL end as of the start, confirm, and stop.
 */
export async function runCdc(ctx: CdcRunContext, streams: readonly PlannedStream[], knownColumns: ReadonlyMap<string, readonly string[]>): Promise<CdcRunResult> {
  const { sync, source, destination } = ctx;
  if (!source.openChangeCapture) throw new ConfigError(`the source of sync ${sync.name} has no change log: mode cdc is not available`, { file: sync.file, hint: 'use mode incremental or full_refresh' });
  if (!destination.openChangeApplier) throw new ConfigError(`the destination of sync ${sync.name} cannot apply changes: mode cdc is not available`, { file: sync.file, hint: 'use a Postgres, DuckDB or SQLite destination' });
  const { slot, publication, settings } = cdcNames(sync);
  const capture = source.openChangeCapture({ sync: sync.name, slot, publication, tables: capturedTables(streams, knownColumns) });
  let applier: ChangeApplier | undefined;
  try {
    await capture.prepare();
    const checkpoints = new Map<string, Checkpoint>();
    const positions = new Map<string, CdcPosition>();
    for (const stream of streams) {
      const stored = await ctx.state.getCheckpoint(sync.name, stream.name);
      const committed = destination.capabilities.transactional ? await destination.readCheckpoint(sync.name, stream.name) : undefined;
      const newest = newerCheckpoint(stored, committed);
      if (newest) checkpoints.set(stream.name, newest);
      const position = cdcPosition(newest);
      if (position) positions.set(stream.name, position);
    }
    const status = await capture.status();
    checkSlot({ sync: sync.name, slot: status, positions });
    warnRetained(ctx, settings, status.retainedBytes, slot);
    const snapshotRows = await snapshotMissing(ctx, capture, streams, status.exists, slot, checkpoints, positions);
    const targets: ChangeTarget[] = streams.map((s) => ({ stream: s.name, target: s.target, primaryKey: s.primaryKey, schemaChange: s.schemaChange }));
    applier = await destination.openChangeApplier(
      { sync: sync.name, runId: ctx.runId, deletes: settings.deletes, lsnColumn: settings.lsn_column, syncedAtColumn: settings.synced_at_column },
      targets,
      ctx.signal,
    );
    const from = new Map([...positions].map(([stream, p]) => [stream, p.from]));
    const { follow: continuous, ...base } = ctx;
    const follow = continuous ? { flushMs: settings.flush_ms, heartbeatMs: settings.heartbeat_seconds * 1000 } : undefined;
    const applied = await applyChanges({ ...base, capture, applier, targets, from, slot, batchRows: settings.batch_rows, checkpoints, ...(follow ? { follow } : {}) });
    return { snapshotRows, applied, checkpoints };
  } finally {
    await applier?.close().catch(() => undefined);
    await capture.close().catch(() => undefined);
  }
}

/**
 * Snapshot the streams without a position. On the very first run the slot is
 * created here and its exported snapshot serves every table; a table added
 * later (or reset by `ferry cdc resync`) gets a temporary slot's snapshot,
 * whose position is ahead of the permanent slot, so none of its changes are
 * missed and older ones are skipped.
 */
async function snapshotMissing(
  ctx: CdcRunContext,
  capture: ChangeCapture,
  streams: readonly PlannedStream[],
  slotExists: boolean,
  slot: string,
  checkpoints: Map<string, Checkpoint>,
  positions: Map<string, CdcPosition>,
): Promise<Map<string, number>> {
  const rows = new Map<string, number>();
  const missing = streams.filter((s) => !positions.has(s.name));
  if (missing.length === 0) return rows;
  let session: SnapshotSession | undefined;
  try {
    ctx.log.write('info', null, `${slotExists ? 'exporting a snapshot' : `creating replication slot ${slot}`} (waits for transactions running on the server to end)`);
    session = slotExists ? await capture.snapshot() : await capture.createSlot();
    ctx.log.write('info', null, `${slotExists ? 'snapshot' : `created replication slot ${slot}; snapshot`} at ${formatLsn(session.lsn)} for ${missing.map((s) => s.name).join(', ')}`);
    const seq = (stream: string): number => Math.max(Date.now(), (checkpoints.get(stream)?.seq ?? 0) + 1);
    const load = { sync: ctx.sync.name, runId: ctx.runId, slot, source: ctx.source, destination: ctx.destination, state: ctx.state, log: ctx.log, signal: ctx.signal, seq };
    for (const stream of missing) {
      if (checkpoints.get(stream.name)?.state['cdc_snapshot'] !== undefined) {
        ctx.log.write('warn', stream.name, 'an earlier chunked snapshot of this table did not finish (its exported snapshot ended with that run): loading it again from this snapshot');
      }
      const request: ReadRequest = { stream: stream.name, target: stream.read, columns: stream.columns.map((c) => c.name), batchSize: stream.batchSize };
      const ranges = await planSnapshotChunks(load, stream, request);
      const loaded = ranges ? await loadChunkedSnapshot(load, session, stream, request, ranges) : await loadSnapshot(load, session, stream, request);
      rows.set(stream.name, loaded.rows);
      checkpoints.set(stream.name, loaded.checkpoint);
      positions.set(stream.name, { slot, from: session.lsn });
    }
  } finally {
    await session?.release();
  }
  return rows;
}

function warnRetained(ctx: CdcRunContext, settings: CdcSettings, retained: bigint, slot: string): void {
  if (settings.max_retained_wal_mb === undefined) return;
  const limit = BigInt(settings.max_retained_wal_mb) * 1024n * 1024n;
  if (retained <= limit) return;
  ctx.log.write('warn', null, `replication slot ${slot} retains ${retained / (1024n * 1024n)} MB of WAL (limit ${settings.max_retained_wal_mb} MB): run this sync more often, or drop the slot with ferry cdc drop ${ctx.sync.name} if it is no longer used`);
}
