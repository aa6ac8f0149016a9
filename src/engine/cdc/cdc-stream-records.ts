import { CancelledError, describeError, redact } from '../../core/errors.js';
import { tableRefText } from '../../core/schema.js';
import type { RunStreamRecord } from '../../state/state-store.js';
import type { PlannedStream } from '../plan-streams.js';
import type { RunEventListener } from '../run-events.js';
import { runCdc, type CdcRunContext } from './cdc-runner.js';

/**
 * Run a sync's cdc streams together (they share one slot, so they succeed or
 * fail together) and return one run record per stream. Never throws for a
 * stream failure: the records say `failed`, as for other streams.
 */
export async function runCdcStreams(ctx: CdcRunContext & { readonly emit: RunEventListener }, streams: readonly PlannedStream[]): Promise<RunStreamRecord[]> {
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const base = (s: PlannedStream) => ({ runId: ctx.runId, stream: s.name, mode: s.mode, write: 'cdc', target: tableRefText(s.target), startedAt });
  for (const s of streams) {
    ctx.emit({ type: 'stream_start', runId: ctx.runId, stream: s.name, target: tableRefText(s.target), mode: s.mode, write: 'cdc', passThrough: false });
  }
  try {
    const known = new Map<string, readonly string[]>();
    for (const s of streams) known.set(s.name, (await ctx.source.describe(s.read)).columns.map((c) => c.name));
    const result = await runCdc(ctx, streams, known);
    const seconds = (performance.now() - started) / 1000;
    ctx.log.write('info', null, `cdc: ${result.applied.transactions} transaction(s) read, ${result.applied.batches} batch(es) applied in ${seconds.toFixed(2)} s`);
    return streams.map((s): RunStreamRecord => {
      const snapshot = result.snapshotRows.get(s.name) ?? 0;
      const changes = result.applied.changes.get(s.name) ?? 0;
      const status = result.paused.has(s.name) ? 'paused' : 'success';
      ctx.log.write('info', s.name, `${status === 'paused' ? 'paused' : 'done'}: ${snapshot} snapshot row(s), ${changes} change(s) applied`);
      ctx.emit({ type: 'stream_end', runId: ctx.runId, stream: s.name, status, rowsRead: snapshot + changes, rowsWritten: snapshot + changes, seconds });
      return {
        ...base(s),
        status,
        finishedAt: new Date().toISOString(),
        rowsRead: snapshot + changes,
        rowsWritten: snapshot + changes,
        bytesRead: 0,
        sql: [],
        checkpointBefore: null,
        checkpointAfter: result.checkpoints.get(s.name)?.state ?? null,
        error: null,
      };
    });
  } catch (error) {
    const cancelled = ctx.signal.aborted || error instanceof CancelledError;
    const message = redact(describeError(error));
    ctx.log.write(cancelled ? 'warn' : 'error', null, cancelled ? 'cdc cancelled; uncommitted changes rolled back, the slot keeps them' : `cdc failed: ${message}`);
    const seconds = (performance.now() - started) / 1000;
    return streams.map((s): RunStreamRecord => {
      ctx.emit({ type: 'stream_end', runId: ctx.runId, stream: s.name, status: cancelled ? 'cancelled' : 'failed', rowsRead: 0, rowsWritten: 0, seconds, error: message });
      return { ...base(s), status: cancelled ? 'cancelled' : 'failed', finishedAt: new Date().toISOString(), rowsRead: 0, rowsWritten: 0, bytesRead: 0, sql: [], checkpointBefore: null, checkpointAfter: null, error: message };
    });
  }
}
