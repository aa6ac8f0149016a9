import type { CapturedTable, CdcColumnOptions, ChangeApplier, ChangeCapture, ChangeTarget, SlotStatus, SnapshotSession } from '../../core/change-capture.js';
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
import { retainedWarning } from './retained-wal.js';
import { isPaused, PAUSE_POLL_MS, readPauses, watchPauses, type CdcPauses } from './cdc-pauses.js';

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
  /** How often a pause or resume is looked for while running (default PAUSE_POLL_MS). */
  readonly pausePollMs?: number;
}

export interface CdcRunResult {
  /** Rows loaded by snapshots, per stream. */
  readonly snapshotRows: ReadonlyMap<string, number>;
  readonly applied: ApplyTotals;
  readonly checkpoints: ReadonlyMap<string, Checkpoint>;
  /** Streams paused when the run ended (skipped, or stopped mid-run by `ferry cdc pause`). */
  readonly paused: ReadonlySet<string>;
}

/** Slot and publication names of a sync, validated. */
export function cdcNames(sync: SyncConfig): { readonly slot: string; readonly publication: string; readonly settings: CdcSettings } {
  const settings = sync.cdc ?? cdcSettingsSchema.parse({});
  const slot = checkCdcName(settings.slot ?? defaultCdcName(sync.name), 'slot', sync.name);
  const publication = checkCdcName(settings.publication ?? slot, 'publication', sync.name);
  return { slot, publication, settings };
}

/** Ferry's columns of a sync's targets: written alike by its snapshots and its change apply. */
export function cdcColumnOptions(settings: CdcSettings): CdcColumnOptions {
  return { deletes: settings.deletes, lsnColumn: settings.lsn_column, syncedAtColumn: settings.synced_at_column };
}

/** The tables a sync captures, as the source needs them. */
export function capturedTables(streams: readonly PlannedStream[], knownColumns: ReadonlyMap<string, readonly string[]>): CapturedTable[] {
  return streams.map((s) => {
    if (s.read.kind !== 'table') throw new ConfigError('mode cdc reads tables, not queries', { ...s.location, stream: s.name });
    if (s.where !== undefined) throw new ConfigError('mode cdc cannot filter rows with `where` (deletes and updates of filtered rows would be lost)', { ...s.location, stream: s.name, key: 'where' });
    if (s.filters.length > 0) {
      throw new ConfigError('mode cdc cannot filter rows with `filters` (a change that moves a row out of the filter would be lost)', { ...s.location, stream: s.name, key: 'filters' });
    }
    if (s.metadataColumns.length > 0) {
      throw new ConfigError(`mode cdc does not write metadata_columns (${s.metadataColumns.join(', ')})`, {
        ...s.location,
        stream: s.name,
        key: 'metadata_columns',
        hint: 'cdc streams get _ferry_synced_at and _ferry_lsn from the sync\'s cdc: block (synced_at_column: true, lsn_column: true); set metadata_columns: [] on the stream when it comes from defaults',
      });
    }
    return { stream: s.name, table: s.read.table, columns: s.columns, knownColumns: knownColumns.get(s.name) ?? s.columns.map((c) => c.name), primaryKey: s.primaryKey };
  });
}

/**
 * One run of a sync's cdc streams: make sure the publication and slot exist,
 * snapshot every stream that has no position yet, then apply the slot's
 * changes up to the WAL end as of the start (or, with `follow`, until
 * cancelled), confirm, and stop. Paused streams are skipped; when a pause
 * changes mid-run, what is pending is applied and confirmed and the run goes
 * on with the streams not paused (or ends, when none is left).
 */
export async function runCdc(ctx: CdcRunContext, streams: readonly PlannedStream[], knownColumns: ReadonlyMap<string, readonly string[]>): Promise<CdcRunResult> {
  const { sync, source, destination } = ctx;
  if (!source.openChangeCapture) throw new ConfigError(`the source of sync ${sync.name} has no change log: mode cdc is not available`, { file: sync.file, hint: 'use mode incremental or full_refresh' });
  if (!destination.openChangeApplier) throw new ConfigError(`the destination of sync ${sync.name} cannot apply changes: mode cdc is not available`, { file: sync.file, hint: 'use a Postgres, DuckDB or SQLite destination' });
  const snapshotRows = new Map<string, number>();
  const changes = new Map<string, number>();
  const totals = { transactions: 0, batches: 0 };
  const checkpoints = new Map<string, Checkpoint>();
  for (;;) {
    const pauses = await readPauses(ctx.state, sync.name);
    const paused = streams.filter((s) => isPaused(pauses, s.name));
    const active = streams.filter((s) => !isPaused(pauses, s.name));
    if (paused.length > 0) ctx.log.write('info', null, `paused (ferry cdc pause): ${pauses.sync ? `the whole sync` : paused.map((s) => s.name).join(', ')}; resume with ferry cdc resume ${sync.name}`);
    const round = active.length === 0 ? await checkPausedSlot(ctx, streams, checkpoints) : await runRound(ctx, streams, active, knownColumns, pauses, checkpoints);
    for (const [stream, rows] of round.snapshotRows) snapshotRows.set(stream, (snapshotRows.get(stream) ?? 0) + rows);
    for (const [stream, n] of round.applied.changes) changes.set(stream, (changes.get(stream) ?? 0) + n);
    totals.transactions += round.applied.transactions;
    totals.batches += round.applied.batches;
    if (!round.applied.stopped) return { snapshotRows, applied: { changes, ...totals }, checkpoints, paused: new Set(paused.map((s) => s.name)) };
    ctx.log.write('info', null, 'a pause or resume arrived: applied and confirmed what was pending; going on with the streams not paused');
  }
}

interface RoundResult {
  readonly snapshotRows: ReadonlyMap<string, number>;
  readonly applied: ApplyTotals;
}

/** Each stream's newest checkpoint (state store or destination) and the cdc position it holds. */
async function loadPositions(ctx: CdcRunContext, streams: readonly PlannedStream[], checkpoints: Map<string, Checkpoint>): Promise<Map<string, CdcPosition>> {
  const positions = new Map<string, CdcPosition>();
  for (const stream of streams) {
    const stored = await ctx.state.getCheckpoint(ctx.sync.name, stream.name);
    const committed = ctx.destination.capabilities.transactional ? await ctx.destination.readCheckpoint(ctx.sync.name, stream.name) : undefined;
    const newest = newerCheckpoint(stored, committed);
    if (newest) checkpoints.set(stream.name, newest);
    const position = cdcPosition(newest);
    if (position) positions.set(stream.name, position);
  }
  return positions;
}

/**
 * The streams not paused: snapshot the ones without a position, then stream.
 * Paused streams that have a position hold the slot back: it is never
 * confirmed past the lowest of them, so the server keeps their changes until
 * they are resumed (and other streams skip what they already have).
 */
async function runRound(
  ctx: CdcRunContext,
  streams: readonly PlannedStream[],
  active: readonly PlannedStream[],
  knownColumns: ReadonlyMap<string, readonly string[]>,
  pauses: CdcPauses,
  checkpoints: Map<string, Checkpoint>,
): Promise<RoundResult> {
  const { sync, source, destination } = ctx;
  const { slot, publication, settings } = cdcNames(sync);
  const capture = source.openChangeCapture!({ sync: sync.name, slot, publication, tables: capturedTables(active, knownColumns) });
  let applier: ChangeApplier | undefined;
  const watch = watchPauses(ctx.state, sync.name, pauses, ctx.pausePollMs ?? PAUSE_POLL_MS);
  try {
    await capture.prepare();
    const positions = await loadPositions(ctx, streams, checkpoints);
    const status = await capture.status();
    checkSlot({ sync: sync.name, slot: status, positions });
    warnRetained(ctx, settings, status);
    const confirmLimit = heldBack(ctx, streams, active, positions, slot);
    const snapshotRows = await snapshotMissing(ctx, capture, active, status.exists, slot, checkpoints, positions);
    const targets: ChangeTarget[] = active.map((s) => ({ stream: s.name, target: s.target, primaryKey: s.primaryKey, schemaChange: s.schemaChange }));
    applier = await destination.openChangeApplier!(
      { sync: sync.name, runId: ctx.runId, ...cdcColumnOptions(settings) },
      targets,
      ctx.signal,
    );
    const from = new Map(active.flatMap((s) => { const p = positions.get(s.name); return p ? [[s.name, p.from] as const] : []; }));
    const { follow: continuous, ...base } = ctx;
    const follow = continuous ? { flushMs: settings.flush_ms, heartbeatMs: settings.heartbeat_seconds * 1000 } : undefined;
    const applied = await applyChanges({
      ...base,
      capture,
      applier,
      targets,
      from,
      slot,
      batchRows: settings.batch_rows,
      checkpoints,
      stop: watch.signal,
      ...(confirmLimit !== undefined ? { confirmLimit } : {}),
      ...(follow ? { follow } : {}),
    });
    return { snapshotRows, applied };
  } finally {
    watch.close();
    await applier?.close().catch(() => undefined);
    await capture.close().catch(() => undefined);
  }
}

/** The lowest position among paused streams: the slot must keep the WAL from there. */
function heldBack(ctx: CdcRunContext, streams: readonly PlannedStream[], active: readonly PlannedStream[], positions: ReadonlyMap<string, CdcPosition>, slot: string): bigint | undefined {
  const activeNames = new Set(active.map((s) => s.name));
  let limit: bigint | undefined;
  for (const stream of streams) {
    const position = positions.get(stream.name);
    if (activeNames.has(stream.name) || !position) continue;
    if (limit === undefined || position.from < limit) limit = position.from;
  }
  if (limit !== undefined) ctx.log.write('info', null, `paused streams keep their changes in replication slot ${slot}: it is not confirmed past ${formatLsn(limit)} until they are resumed (WAL stays on the source)`);
  return limit;
}

/**
 * Every stream is paused: nothing is read or applied, but the slot is still
 * checked (a missing or moved slot fails loudly) and its retained WAL warned about.
 */
async function checkPausedSlot(ctx: CdcRunContext, streams: readonly PlannedStream[], checkpoints: Map<string, Checkpoint>): Promise<RoundResult> {
  const { slot, publication, settings } = cdcNames(ctx.sync);
  const capture = ctx.source.openChangeCapture!({ sync: ctx.sync.name, slot, publication, tables: [] });
  try {
    const positions = await loadPositions(ctx, streams, checkpoints);
    const status = await capture.status();
    checkSlot({ sync: ctx.sync.name, slot: status, positions });
    warnRetained(ctx, settings, status);
    if (status.exists) ctx.log.write('info', null, `every cdc stream is paused: nothing applied; replication slot ${slot} keeps ${status.retainedBytes / 1024n} kB of WAL on the source`);
    return { snapshotRows: new Map(), applied: { changes: new Map(), transactions: 0, batches: 0 } };
  } finally {
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
    const load = { sync: ctx.sync.name, runId: ctx.runId, slot, columns: cdcColumnOptions(cdcNames(ctx.sync).settings), source: ctx.source, destination: ctx.destination, state: ctx.state, log: ctx.log, signal: ctx.signal, seq };
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

function warnRetained(ctx: CdcRunContext, settings: CdcSettings, status: SlotStatus): void {
  const warning = retainedWarning(ctx.sync.name, settings, status);
  if (warning) ctx.log.write('warn', null, warning);
}
