import { createHash } from 'node:crypto';
import type { Checkpoint, CheckpointState, ChunkProgress, CursorState } from '../core/checkpoint.js';
import { chunkRangeText } from '../core/chunk.js';
import type { OpenRequest, RawFormat, StreamWriter, WriteMode } from '../core/connector.js';
import { CancelledError, FerryError, describeError, isRetryable } from '../core/errors.js';
import { tableRefText, type Row, type TableRef } from '../core/schema.js';
import { addsColumns } from '../core/ferry-columns.js';
import type { ContractReport } from '../core/schema-contract.js';
import { copyChunk } from './chunk-copy.js';
import { pickRawFormat } from './raw-copy.js';
import { sumContractReports } from './chunk-reports.js';
import { openWithContract } from './contract-writer.js';
import { chunkCursorRead, cursorType, mergeCursorStates } from './chunk-cursor.js';
import { CursorTracker } from './cursor-tracker.js';
import { decideChunks } from './chunk-plan.js';
import { runWithConcurrency } from './concurrency.js';
import { planOrderedRead, type OrderedRead } from './ordered-parallel-read.js';
import type { PlannedStream } from './plan-streams.js';
import type { ReadPlan } from './read-plan.js';
import type { StreamRunContext } from './stream-runner.js';

/** What a chunked stream reports back to the stream runner (same shape as an unchunked attempt). */
export interface ChunkedResult {
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly bytesRead: number;
  readonly sql: readonly string[];
  readonly checkpoint: Checkpoint | undefined;
  /** What the stream's schema contract dropped, over every chunk of this run. */
  readonly contract: ContractReport | undefined;
}

/** Prefix of the table a chunked `replace` builds; named per sync, stream and target so a rerun finds it. */
export const CHUNKED_TABLE_PREFIX = '_ferry_chunked_';

/**
 * Copy a stream in chunks when it asks for them (or a stored plan is to be
 * resumed); undefined when it is to be read in one piece.
 *
 * Every chunk commits on its own, with the plan's progress as the checkpoint in
 * the same destination transaction: `merge`/`append` straight into the target,
 * `replace` into a table that survives a crash and is swapped in at the end.
 * Incremental streams read one cursor window in every chunk (see
 * chunk-cursor.ts); the cursor moves only with the final commit.
 */
export async function runChunkedStream(ctx: StreamRunContext, stream: PlannedStream, plan: ReadPlan): Promise<ChunkedResult | undefined> {
  const stored = plan.previous?.state.chunks;
  const refusal = chunkRefusal(ctx, stream);
  const decision = refusal === undefined ? await decideChunks({ runId: ctx.runId, source: ctx.source, stream, request: plan.request, stored, log: ctx.log }) : undefined;
  if (decision?.chunked) return new ChunkedCopy(ctx, stream, plan, decision.progress).run(decision.resumed);
  // A destination that only lacks transactions still gets the ranges in order, read in parallel (orderedReadFor).
  if (refusal !== undefined && (stored !== undefined || (stream.chunks !== 'auto' && refusal !== NOT_TRANSACTIONAL))) ctx.log.write('info', stream.name, `read in one piece: ${refusal}`);
  // The one-piece commit replaces the stored progress, so no later run resumes a plan it overwrote.
  if (stored !== undefined && (refusal !== undefined || !decision?.chunked)) ctx.log.write('warn', stream.name, `dropping the unfinished ${stored.ranges.length}-chunk plan of run ${stored.runId}`);
  return undefined;
}

/**
 * For a stream `runChunkedStream` left to one writer: its ranges read in
 * parallel and written in order (ordered-parallel-read.ts), when the only
 * obstacle to chunks was the destination's lack of transactions (files) and
 * no stored plan is being dropped.
 */
export async function orderedReadFor(ctx: StreamRunContext, stream: PlannedStream, plan: ReadPlan): Promise<OrderedRead | undefined> {
  if (chunkRefusal(ctx, stream) !== NOT_TRANSACTIONAL || plan.previous?.state.chunks !== undefined) return undefined;
  return planOrderedRead({ runId: ctx.runId, source: ctx.source, stream, plan, log: ctx.log });
}

const NOT_TRANSACTIONAL = 'the destination cannot commit a chunk together with its checkpoint';

/** Why the destination cannot take this stream in chunks, if it cannot. */
function chunkRefusal(ctx: StreamRunContext, stream: PlannedStream): string | undefined {
  if (!ctx.destination.capabilities.transactional) return NOT_TRANSACTIONAL;
  if (stream.write === 'mirror') return 'mirror deletes what one load did not see, so it needs every key in one load';
  if (stream.write === 'replace' && !ctx.destination.publishTable) return 'the destination cannot keep a partly built table for replace';
  // The chunks of a replace land in a new table, which a freezing contract would judge instead of the target.
  if (stream.write === 'replace' && (stream.contract.tables !== 'evolve' || stream.contract.columns !== 'evolve')) return 'replace under a schema contract that freezes or discards tables or columns';
  return undefined;
}

/** One chunked copy of one stream: start (or resume) the plan, copy pending chunks in parallel, finish. */
class ChunkedCopy {
  readonly #ctx: StreamRunContext;
  readonly #stream: PlannedStream;
  readonly #plan: ReadPlan;
  readonly #landing: TableRef;
  readonly #rawFormat: RawFormat | undefined;
  readonly #sql: string[] = [];
  #progress: ChunkProgress;
  #seq: number;
  #commits: Promise<unknown> = Promise.resolve();
  #rowsRead = 0;
  #bytesRead = 0;
  #rowsWritten = 0;
  #contract: ContractReport | undefined;
  readonly #reports = new Map<StreamWriter, () => ContractReport | undefined>();

  constructor(ctx: StreamRunContext, stream: PlannedStream, plan: ReadPlan, progress: ChunkProgress) {
    this.#ctx = ctx;
    this.#stream = stream;
    this.#plan = plan;
    this.#progress = progress;
    this.#seq = plan.previous?.seq ?? 0;
    this.#landing = stream.write === 'replace' ? chunkedTable(ctx.sync, stream) : stream.target;
    // Incremental rows are inspected (cursor tracking), so they never pass through as bytes.
    this.#rawFormat = stream.mode !== 'incremental' ? pickRawFormat(ctx.source, ctx.destination, plan.request, stream.columns, { target: this.#landing }) : undefined;
  }

  async run(resumed: boolean): Promise<ChunkedResult> {
    const ctx = this.#ctx;
    const total = this.#progress.ranges.length;
    ctx.emit({ type: 'stream_start', runId: ctx.runId, stream: this.#stream.name, target: tableRefText(this.#stream.target), mode: this.#stream.mode, write: this.#stream.write, passThrough: this.#rawFormat !== undefined, ...(this.#rawFormat !== undefined ? { rawFormat: this.#rawFormat } : {}), ...(this.#stream.estimatedRows !== undefined ? { estimatedRows: this.#stream.estimatedRows } : {}) });
    if (!resumed) await this.#start();
    const pending = this.#progress.ranges.map((_, i) => i).filter((i) => !this.#progress.done.includes(i));
    // A destination that cannot hold two writers of one stream still gets resumable chunks, one at a time.
    const allowed = ctx.destination.capabilities.parallelWriters === true ? this.#stream.parallelism : 1;
    const parallelism = Math.max(1, Math.min(allowed, pending.length));
    ctx.log.write('info', this.#stream.name, `${pending.length} of ${total} chunk(s) to read, ${parallelism} at once${this.#landing === this.#stream.target ? '' : ` into ${tableRefText(this.#landing)}`}`);
    const failed = new AbortController();
    const onAbort = (): void => failed.abort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await runWithConcurrency(pending, parallelism, async (index) => {
        try {
          await this.#chunkWithRetries(index, failed.signal);
        } catch (error) {
          failed.abort();
          throw error;
        }
      });
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
    const checkpoint = await this.#finish();
    return { rowsRead: this.#rowsRead, rowsWritten: this.#rowsWritten, bytesRead: this.#bytesRead, sql: this.#sql, checkpoint, contract: this.#contract };
  }

  /** Record the plan (and, for `replace`, create the empty landing table; for `truncate`, empty the target) in one commit. */
  async #start(): Promise<void> {
    const write: WriteMode = this.#stream.write === 'merge' ? 'merge' : this.#stream.write === 'append' ? 'append' : this.#stream.write === 'truncate' ? 'truncate' : 'replace';
    const writer = await this.#open(write, undefined, this.#ctx.signal);
    await this.#commit(writer, this.#checkpoint({ chunks: this.#progress }), this.#ctx.signal);
  }

  async #chunkWithRetries(index: number, signal: AbortSignal): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#copyOne(index, signal);
      } catch (error) {
        if (signal.aborted || this.#ctx.signal.aborted) throw new CancelledError('chunk cancelled', { stream: this.#stream.name, cause: error });
        if (!isRetryable(error) || attempt >= this.#ctx.attempts) throw wrap(error, this.#stream.name, index);
        const delay = this.#ctx.retryDelayMs * 2 ** (attempt - 1);
        this.#ctx.log.write('warn', this.#stream.name, `chunk ${index + 1}: attempt ${attempt} failed (${describeError(error)}); retrying in ${delay} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async #copyOne(index: number, signal: AbortSignal): Promise<void> {
    const range = this.#progress.ranges[index];
    if (!range) throw new FerryError(`chunk ${index + 1} is not in the plan`, { stream: this.#stream.name });
    const write: WriteMode = this.#stream.write === 'merge' ? 'merge' : 'append';
    const writer = await this.#open(write, this.#rawFormat, signal);
    const cursor = this.#progress.cursorTo !== undefined ? chunkCursorRead(this.#stream, this.#plan, this.#progress.cursorTo) : undefined;
    const request = { ...this.#plan.request, chunk: range, ...(cursor ? { cursor } : {}) };
    const tracker = cursor ? this.#tracker() : undefined;
    const started = performance.now();
    let copied;
    try {
      copied = await copyChunk({
        source: this.#ctx.source,
        writer,
        request,
        ...(this.#rawFormat !== undefined ? { rawFormat: this.#rawFormat } : {}),
        ...(tracker ? { accept: (rows: readonly Row[]) => tracker.accept(rows) } : {}),
        signal,
        progress: (rows, bytes) => this.#progressed(rows, bytes),
      });
      if (signal.aborted) throw new CancelledError('chunk cancelled before commit', { stream: this.#stream.name });
    } catch (error) {
      this.#reports.delete(writer);
      await writer.abort().catch(() => undefined);
      throw error;
    }
    const rows = await this.#commitChunk(writer, index, copied.rowsStaged, tracker?.state(), signal);
    this.#sql.push(this.#ctx.source.readSql(request));
    const done = this.#progress.done.length;
    this.#ctx.log.write('info', this.#stream.name, `chunk ${index + 1}/${this.#progress.ranges.length} committed: ${copied.rowsRead} rows in ${((performance.now() - started) / 1000).toFixed(2)} s, ${chunkRangeText(range)} (${done} of ${this.#progress.ranges.length} done)`, { chunk: index + 1, rows: copied.rowsRead, published: rows });
  }

  /** Commits are serialized: each one stores the progress including every chunk committed before it. */
  #commitChunk(writer: StreamWriter, index: number, rows: number, cursor: CursorState | undefined, signal: AbortSignal): Promise<number> {
    const next = this.#commits.then(async () => {
      const type = cursorType(this.#stream);
      const merged = cursor && type ? mergeCursorStates(type, this.#progress.cursor, cursor) : undefined;
      const progress: ChunkProgress = { ...this.#progress, done: [...this.#progress.done, index], rows: this.#progress.rows + rows, ...(merged ? { cursor: merged } : {}) };
      const written = await this.#commit(writer, this.#checkpoint({ chunks: progress }), signal);
      this.#progress = progress;
      this.#rowsWritten += written;
      return written;
    });
    this.#commits = next.catch(() => undefined);
    return next;
  }

  /** Publish the landing table (replace) or clear the progress (merge/append); the checkpoint then holds no plan. */
  async #finish(): Promise<Checkpoint> {
    const delivered = this.#progress.cursor?.value != null ? this.#progress.cursor : undefined;
    const cursor = delivered ?? this.#plan.previous?.state.cursor;
    const final = this.#checkpoint(cursor ? { cursor } : {});
    const publishTable = this.#ctx.destination.publishTable;
    if (this.#stream.write === 'replace' && publishTable) {
      const result = await publishTable.call(this.#ctx.destination, { sync: this.#ctx.sync, stream: this.#stream.name, from: this.#landing, target: this.#stream.target, primaryKey: this.#stream.primaryKey, plan: this.#progress.runId, rows: this.#progress.rows }, final, this.#ctx.signal);
      this.#sql.push(...result.sql);
      await this.#ctx.state.saveCheckpoint(final);
      this.#ctx.log.write('info', this.#stream.name, `published ${result.rows} rows of ${this.#progress.ranges.length} chunks into ${tableRefText(this.#stream.target)}`);
      return final;
    }
    const writer = await this.#open('append', undefined, this.#ctx.signal);
    await this.#commit(writer, final, this.#ctx.signal);
    return final;
  }

  async #commit(writer: StreamWriter, checkpoint: Checkpoint, signal: AbortSignal): Promise<number> {
    try {
      if (signal.aborted) throw new CancelledError('cancelled before commit', { stream: this.#stream.name });
      const result = await writer.commit(checkpoint);
      this.#contract = sumContractReports(this.#contract, this.#reports.get(writer)?.());
      this.#reports.delete(writer);
      // The destination holds the data and the checkpoint; only now may the state store follow.
      await this.#ctx.state.saveCheckpoint(checkpoint);
      return result.rows;
    } catch (error) {
      this.#reports.delete(writer);
      await writer.abort().catch(() => undefined);
      throw error;
    }
  }

  /** A writer for one commit, opened under the stream's schema contract; its report is added up at commit. */
  async #open(write: WriteMode, rawFormat: RawFormat | undefined, signal: AbortSignal): Promise<StreamWriter> {
    const stream = this.#stream;
    const request: OpenRequest = {
      sync: this.#ctx.sync,
      stream: stream.name,
      runId: this.#ctx.runId,
      target: this.#landing,
      columns: stream.columns,
      write,
      // The landing table of a replace gets its key when it is swapped in.
      primaryKey: this.#landing === stream.target ? stream.primaryKey : [],
      schemaChange: stream.write === 'replace' ? 'evolve' : stream.schemaChange,
      ...(write === 'merge' && stream.cursor !== undefined ? { cursorColumn: stream.cursor } : {}),
      ...(stream.metadataColumns.length > 0 ? { metadataColumns: stream.metadataColumns } : {}),
      syncedAt: this.#ctx.runStartedAt,
      ...(rawFormat !== undefined && !addsColumns({ write, metadataColumns: stream.metadataColumns }) ? { rawFormat } : {}),
      // Chunks of a replace load straight into the landing table: no reader sees it until the swap.
      ...(write === 'append' && this.#landing !== stream.target && this.#ctx.destination.capabilities.directAppend ? { direct: true } : {}),
    };
    const { writer, report } = await openWithContract({ destination: this.#ctx.destination, contract: stream.contract, log: this.#ctx.log, signal, request });
    this.#reports.set(writer, report);
    return writer;
  }

  #checkpoint(state: CheckpointState): Checkpoint {
    this.#seq = Math.max(Date.now(), this.#seq + 1);
    return { sync: this.#ctx.sync, stream: this.#stream.name, runId: this.#ctx.runId, seq: this.#seq, state };
  }

  #tracker(): CursorTracker | undefined {
    const stream = this.#stream;
    if (stream.cursor === undefined) return undefined;
    return new CursorTracker({ stream: stream.name, columns: stream.columns, cursorColumn: stream.cursor, primaryKey: stream.primaryKey, nullCursor: stream.nullCursor, previous: this.#plan.boundary });
  }

  #progressed(rows: number, bytes: number): void {
    this.#rowsRead += rows;
    this.#bytesRead += bytes;
    this.#ctx.emit({ type: 'stream_progress', runId: this.#ctx.runId, stream: this.#stream.name, rowsRead: this.#rowsRead, bytesRead: this.#bytesRead });
  }
}

/** `_ferry_chunked_<hash>` next to the target: deterministic per sync, stream and target, so a rerun finds it. */
export function chunkedTable(sync: string, stream: PlannedStream): TableRef {
  const hash = createHash('sha256').update([sync, stream.name, tableRefText(stream.target)].join('\0')).digest('hex').slice(0, 16);
  const name = `${CHUNKED_TABLE_PREFIX}${hash}`;
  return stream.target.schema === undefined ? { name } : { schema: stream.target.schema, name };
}

function wrap(error: unknown, stream: string, index: number): unknown {
  if (error instanceof FerryError) return error;
  return new FerryError(`chunk ${index + 1}: ${error instanceof Error ? error.message : String(error)}`, { stream, cause: error });
}
