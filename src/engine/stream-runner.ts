import type { Checkpoint } from '../core/checkpoint.js';
import type { Destination, OpenRequest, RawFormat, Source, StreamWriter } from '../core/connector.js';
import { CancelledError, FerryError, describeError, isRetryable, redact } from '../core/errors.js';
import { addsColumns } from '../core/ferry-columns.js';
import { tableRefText, type Batch } from '../core/schema.js';
import type { RunStreamRecord, StateStore } from '../state/state-store.js';
import { orderedReadFor, runChunkedStream } from './chunk-runner.js';
import type { ContractReport } from '../core/schema-contract.js';
import { openWithContract } from './contract-writer.js';
import { CursorTracker } from './cursor-tracker.js';
import { prefetch, startRead } from './prefetch.js';
import { copyRawBytes, pickRawFormat } from './raw-copy.js';
import { joinsRanges, orderedBatches, orderedRawBytes, type OrderedRead } from './ordered-parallel-read.js';
import type { PlannedStream } from './plan-streams.js';
import { planRead, type ReadPlan } from './read-plan.js';
import type { RunEventListener } from './run-events.js';
import type { RunLog } from './run-log.js';

export interface StreamRunContext {
  readonly sync: string;
  readonly runId: string;
  /** The run's start, canonical timestamptz: `_ferry_synced_at` of every row it writes. */
  readonly runStartedAt: string;
  readonly source: Source;
  readonly destination: Destination;
  readonly state: StateStore;
  readonly log: RunLog;
  readonly signal: AbortSignal;
  readonly emit: RunEventListener;
  readonly fullRefresh: boolean;
  readonly cursorValue?: string;
  /** Attempts for retryable failures (1 = no retry). */
  readonly attempts: number;
  /** Delay before the first retry; doubles each time. */
  readonly retryDelayMs: number;
}

interface AttemptResult {
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly bytesRead: number;
  readonly sql: readonly string[];
  readonly checkpoint: Checkpoint | undefined;
  readonly contract: ContractReport | undefined;
}

/**
 * Copy one stream: read, stage, commit, checkpoint. Returns its run record;
 * never throws for a stream failure (the record says `failed`), so sibling
 * streams go on.
 */
export async function runStream(ctx: StreamRunContext, stream: PlannedStream): Promise<RunStreamRecord> {
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const base = {
    runId: ctx.runId,
    stream: stream.name,
    mode: stream.mode,
    write: stream.write,
    target: tableRefText(stream.target),
    startedAt,
  };
  let plan: ReadPlan | undefined;
  try {
    plan = await planRead({ sync: ctx.sync, stream, state: ctx.state, destination: ctx.destination, fullRefresh: ctx.fullRefresh, ...(ctx.cursorValue !== undefined ? { cursorValue: ctx.cursorValue } : {}) });
    await ctx.state.saveRunStream({ ...base, ...emptyCounts(), status: 'running', finishedAt: null, sql: [], checkpointBefore: plan.previous?.state ?? null, checkpointAfter: null, error: null });
    ctx.log.write('info', stream.name, `reading ${plan.from} -> ${base.target} (${stream.write})`);
    const result = (await runChunkedStream(ctx, stream, plan)) ?? (await withRetries(ctx, stream, plan, await orderedReadFor(ctx, stream, plan)));
    const seconds = (performance.now() - started) / 1000;
    ctx.log.write('info', stream.name, `done: ${result.rowsRead} rows read, ${result.rowsWritten} written in ${seconds.toFixed(2)} s`);
    const record: RunStreamRecord = {
      ...base,
      status: 'success',
      finishedAt: new Date().toISOString(),
      rowsRead: result.rowsRead,
      rowsWritten: result.rowsWritten,
      bytesRead: result.bytesRead,
      sql: result.sql,
      checkpointBefore: plan.previous?.state ?? null,
      checkpointAfter: result.checkpoint?.state ?? plan.previous?.state ?? null,
      error: null,
      ...(result.contract ? { contract: result.contract } : {}),
    };
    await ctx.state.saveRunStream(record);
    ctx.emit({ type: 'stream_end', runId: ctx.runId, stream: stream.name, status: 'success', rowsRead: result.rowsRead, rowsWritten: result.rowsWritten, seconds });
    return record;
  } catch (error) {
    const cancelled = ctx.signal.aborted || error instanceof CancelledError;
    const message = redact(describeError(error));
    ctx.log.write(cancelled ? 'warn' : 'error', stream.name, cancelled ? 'cancelled; staged rows rolled back' : `failed: ${message}`);
    const record: RunStreamRecord = {
      ...base,
      ...emptyCounts(),
      status: cancelled ? 'cancelled' : 'failed',
      finishedAt: new Date().toISOString(),
      sql: [],
      checkpointBefore: plan?.previous?.state ?? null,
      checkpointAfter: plan?.previous?.state ?? null,
      error: message,
    };
    await ctx.state.saveRunStream(record).catch(() => undefined);
    ctx.emit({ type: 'stream_end', runId: ctx.runId, stream: stream.name, status: record.status, rowsRead: 0, rowsWritten: 0, seconds: (performance.now() - started) / 1000, error: message });
    return record;
  }
}

async function withRetries(ctx: StreamRunContext, stream: PlannedStream, plan: ReadPlan, ordered: OrderedRead | undefined): Promise<AttemptResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptOnce(ctx, stream, plan, ordered);
    } catch (error) {
      if (ctx.signal.aborted) throw new CancelledError('run cancelled', { stream: stream.name, cause: error });
      if (!isRetryable(error) || attempt >= ctx.attempts) throw wrap(error, stream.name);
      const delay = ctx.retryDelayMs * 2 ** (attempt - 1);
      ctx.log.write('warn', stream.name, `attempt ${attempt} failed (${describeError(error)}); retrying in ${delay} ms`);
      await sleep(delay, ctx.signal);
    }
  }
}

function wrap(error: unknown, stream: string): unknown {
  if (error instanceof FerryError) return error;
  return new FerryError(error instanceof Error ? error.message : String(error), { stream, cause: error });
}

function openRequestOf(ctx: StreamRunContext, stream: PlannedStream): OpenRequest {
  return {
    sync: ctx.sync,
    stream: stream.name,
    runId: ctx.runId,
    target: stream.target,
    columns: stream.columns,
    write: stream.write,
    primaryKey: stream.primaryKey,
    ...(stream.cursor !== undefined ? { cursorColumn: stream.cursor } : {}),
    schemaChange: stream.schemaChange,
    ...(stream.mirror ? { mirror: stream.mirror } : {}),
    ...(stream.metadataColumns.length > 0 ? { metadataColumns: stream.metadataColumns } : {}),
    syncedAt: ctx.runStartedAt,
  };
}

/** One read into one writer and its commit; `ordered`: the read's ranges, read in parallel and written in order. */
async function attemptOnce(ctx: StreamRunContext, stream: PlannedStream, plan: ReadPlan, ordered: OrderedRead | undefined): Promise<AttemptResult> {
  const request = openRequestOf(ctx, stream);
  // Ranges pass through only in a format whose reads join into one stream; others are decoded.
  const rawFormat = rawFormatOf(ctx, request, stream, plan, ordered !== undefined);
  // Rows that will be decoded whatever the writer turns out to be are read from now on, while the
  // writer is opened (its connection, catalog queries and staging DDL): the source's first
  // batches arrive meanwhile. A raw copy waits, since only the open writer says if bytes pass through.
  const read = (signal: AbortSignal): AsyncIterable<Batch> => (ordered ? orderedBatches(ctx.source, ordered, signal, ctx.log) : ctx.source.read(plan.request, signal));
  const early = rawFormat === undefined ? startRead(read, ctx.signal) : undefined;
  let opened: Awaited<ReturnType<typeof openWithContract>>;
  try {
    opened = await openWithContract({
      destination: ctx.destination,
      contract: stream.contract,
      log: ctx.log,
      signal: ctx.signal,
      request: { ...request, ...(rawFormat ? { rawFormat } : {}) },
    });
  } catch (error) {
    await early?.stop();
    throw error;
  }
  const { writer, report } = opened;
  try {
    const passThrough = rawFormat !== undefined && writer.writeRaw !== undefined && ctx.source.readRaw !== undefined;
    ctx.emit({ type: 'stream_start', runId: ctx.runId, stream: stream.name, target: tableRefText(stream.target), mode: stream.mode, write: stream.write, passThrough, ...(passThrough ? { rawFormat } : {}), ...(stream.estimatedRows !== undefined ? { estimatedRows: stream.estimatedRows } : {}) });
    const batches = early?.batches ?? prefetch(read(ctx.signal));
    const copied = passThrough && rawFormat ? await copyRaw(ctx, writer, plan, rawFormat, ordered) : await copyBatches(ctx, stream, writer, plan, batches);
    if (ctx.signal.aborted) throw new CancelledError('run cancelled before commit', { stream: stream.name });
    // An abandoned chunk plan is cleared with this commit, so no later run resumes it.
    const checkpoint: Checkpoint | undefined = copied.cursor || plan.previous?.state.chunks
      ? { sync: ctx.sync, stream: stream.name, runId: ctx.runId, seq: nextSeq(plan.previous), state: copied.cursor ? { cursor: copied.cursor } : {} }
      : undefined;
    const commit = await writer.commit(checkpoint);
    if (commit.deleted !== undefined) {
      ctx.log.write('info', stream.name, `mirror: ${commit.deleted} row(s) ${stream.mirror?.delete === 'soft' ? 'marked deleted' : 'deleted'} whose key the source no longer has`);
    }
    // The destination has committed; only now may the state store move forward.
    if (checkpoint) await ctx.state.saveCheckpoint(checkpoint);
    const contract = report();
    logDiscards(ctx, stream.name, contract);
    return {
      rowsRead: copied.rowsRead,
      rowsWritten: commit.rows,
      bytesRead: copied.bytesRead,
      sql: [...(ordered ? ordered.requests : [plan.request]).map((request) => ctx.source.readSql(request)), ...commit.sql],
      checkpoint,
      contract,
    };
  } catch (error) {
    // Closes an early read that was never iterated; a no-op once the copy loop ended it.
    await early?.stop();
    await writer.abort().catch((abortError: unknown) => ctx.log.write('warn', stream.name, `abort failed: ${describeError(abortError)}`));
    throw error;
  }
}

interface Copied {
  readonly rowsRead: number;
  readonly bytesRead: number;
  readonly cursor?: ReturnType<CursorTracker['state']>;
}

async function copyBatches(ctx: StreamRunContext, stream: PlannedStream, writer: StreamWriter, plan: ReadPlan, batches: AsyncIterable<Batch>): Promise<Copied> {
  const tracker = stream.mode === 'incremental' && stream.cursor !== undefined
    ? new CursorTracker({ stream: stream.name, columns: stream.columns, cursorColumn: stream.cursor, primaryKey: stream.primaryKey, nullCursor: stream.nullCursor, previous: plan.boundary })
    : undefined;
  let rowsRead = 0;
  let bytesRead = 0;
  for await (const batch of batches) {
    if (ctx.signal.aborted) throw new CancelledError('run cancelled', { stream: stream.name });
    rowsRead += batch.rows.length;
    bytesRead += batch.bytes ?? 0;
    const rows = tracker ? tracker.accept(batch.rows) : batch.rows;
    if (rows.length > 0) await writer.write(rows === batch.rows ? batch : { columns: batch.columns, rows });
    ctx.emit({ type: 'stream_progress', runId: ctx.runId, stream: stream.name, rowsRead, bytesRead });
  }
  if (tracker?.skipped) ctx.log.write('info', stream.name, `skipped ${tracker.skipped} rows already delivered at the cursor boundary`);
  if (tracker?.overflowed) ctx.log.write('warn', stream.name, 'more rows share the highest cursor value than a checkpoint keeps; an append may repeat some of them next run');
  return { rowsRead, bytesRead, ...(tracker ? { cursor: tracker.state() } : {}) };
}

async function copyRaw(ctx: StreamRunContext, writer: StreamWriter, plan: ReadPlan, format: RawFormat, ordered: OrderedRead | undefined): Promise<Copied> {
  const read = ordered ? orderedRawBytes({ source: ctx.source, ordered, format, tempFolder: writer.tempFolder, signal: ctx.signal, log: ctx.log }) : undefined;
  const copied = await copyRawBytes(ctx.source, writer, plan.request, format, ctx.signal, read);
  ctx.emit({ type: 'stream_progress', runId: ctx.runId, stream: plan.request.stream, rowsRead: copied.rows, bytesRead: copied.bytes });
  return { rowsRead: copied.rows, bytesRead: copied.bytes };
}

/** Bytes can flow straight through only when no row needs inspecting (no cursor to track) or widening (Ferry's own columns). */
function rawFormatOf(ctx: StreamRunContext, request: OpenRequest, stream: PlannedStream, plan: ReadPlan, ordered: boolean): RawFormat | undefined {
  if (stream.mode === 'incremental' || addsColumns(request)) return undefined;
  return pickRawFormat(ctx.source, ctx.destination, plan.request, stream.columns, { target: request.target, ...(ordered ? { accept: joinsRanges } : {}) });
}

/** Rows and values a contract dropped are logged as a warning, never silently. */
function logDiscards(ctx: StreamRunContext, stream: string, report: ContractReport | undefined): void {
  if (!report || report.rowsDiscarded + report.valuesDiscarded === 0) return;
  const detail = Object.entries(report.columns).map(([column, n]) => `${column}: ${n.rows} rows, ${n.values} values`).join('; ');
  ctx.log.write('warn', stream, `schema contract discarded ${report.rowsDiscarded} rows and ${report.valuesDiscarded} values${detail ? ` (${detail})` : ''}`, { contract: report });
}

function nextSeq(previous: Checkpoint | undefined): number {
  return Math.max(Date.now(), (previous?.seq ?? 0) + 1);
}

function emptyCounts(): { rowsRead: number; rowsWritten: number; bytesRead: number } {
  return { rowsRead: 0, rowsWritten: 0, bytesRead: 0 };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
