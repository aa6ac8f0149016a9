import type { CdcColumnOptions, SnapshotSession } from '../../core/change-capture.js';
import type { Checkpoint } from '../../core/checkpoint.js';
import type { Destination, OpenRequest, ReadRequest } from '../../core/connector.js';
import { CancelledError, describeError } from '../../core/errors.js';
import type { PlannedStream } from '../plan-streams.js';
import type { RunLog } from '../run-log.js';
import type { StateStore } from '../../state/state-store.js';
import { cdcState } from './cdc-position.js';

export interface SnapshotLoadContext {
  readonly sync: string;
  readonly runId: string;
  readonly slot: string;
  /** Ferry's columns of the targets: the snapshot creates and fills them (see `snapshotColumns`). */
  readonly columns: CdcColumnOptions;
  readonly destination: Destination;
  readonly state: StateStore;
  readonly log: RunLog;
  readonly signal: AbortSignal;
  /** Seq for the checkpoint (newer than anything stored). */
  readonly seq: (stream: string) => number;
}

export interface SnapshotLoaded {
  readonly rows: number;
  readonly checkpoint: Checkpoint;
}

/**
 * What a snapshot writer adds to every row, so the target has Ferry's cdc
 * columns from the start (as the change apply writes them): `_ferry_lsn` =
 * the snapshot's LSN (changes continue from there), `_ferry_synced_at` = when
 * the writer opened, `_ferry_deleted_at` NULL.
 */
export function snapshotColumns(ctx: Pick<SnapshotLoadContext, 'columns'>, session: Pick<SnapshotSession, 'lsn'>): Pick<OpenRequest, 'cdcSnapshot'> {
  return { cdcSnapshot: { ...ctx.columns, lsn: session.lsn } };
}

/**
 * Load one table as it was at the snapshot with the bulk path (`replace`:
 * staged, then swapped in atomically) and commit, in the same destination
 * transaction, the position its changes continue from: the snapshot's LSN.
 */
export async function loadSnapshot(ctx: SnapshotLoadContext, session: SnapshotSession, stream: PlannedStream, request: ReadRequest): Promise<SnapshotLoaded> {
  const writer = await ctx.destination.open(
    {
      sync: ctx.sync,
      stream: stream.name,
      runId: ctx.runId,
      target: stream.target,
      columns: stream.columns,
      write: 'replace',
      primaryKey: stream.primaryKey,
      schemaChange: stream.schemaChange,
      ...snapshotColumns(ctx, session),
    },
    ctx.signal,
  );
  try {
    let rows = 0;
    for await (const batch of session.read(request, ctx.signal)) {
      if (ctx.signal.aborted) throw new CancelledError('run cancelled during the snapshot', { stream: stream.name });
      if (batch.rows.length > 0) await writer.write(batch);
      rows += batch.rows.length;
    }
    const checkpoint: Checkpoint = {
      sync: ctx.sync,
      stream: stream.name,
      runId: ctx.runId,
      seq: ctx.seq(stream.name),
      state: cdcState({ slot: ctx.slot, from: session.lsn }),
    };
    await writer.commit(checkpoint);
    await ctx.state.saveCheckpoint(checkpoint);
    ctx.log.write('info', stream.name, `snapshot: ${rows} rows loaded; changes continue from the snapshot position`);
    return { rows, checkpoint };
  } catch (error) {
    await writer.abort().catch((abortError: unknown) => ctx.log.write('warn', stream.name, `abort failed: ${describeError(abortError)}`));
    throw error;
  }
}
