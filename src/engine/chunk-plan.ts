import { createHash } from 'node:crypto';
import type { ChunkProgress } from '../core/checkpoint.js';
import type { ChunkPlan } from '../core/chunk.js';
import type { ReadRequest, Source } from '../core/connector.js';
import { tableRefText } from '../core/schema.js';
import type { RunLog } from './run-log.js';
import { AUTO_CHUNK_MIN_ROWS, AUTO_MAX_CHUNKS, chunkCount } from './chunk-count.js';
import type { PlannedStream } from './plan-streams.js';

/** Why a stream is read in one piece, or the chunk plan it follows (new or resumed). */
export type ChunkDecision =
  | { readonly chunked: false }
  | { readonly chunked: true; readonly progress: ChunkProgress; readonly resumed: boolean; readonly method: string };

export interface ChunkPlanOptions {
  readonly runId: string;
  readonly source: Source;
  readonly stream: PlannedStream;
  /** The stream's read without a chunk. */
  readonly request: ReadRequest;
  /** Progress found in the newest checkpoint, if any. */
  readonly stored: ChunkProgress | undefined;
  readonly log: RunLog;
  /** Ask the source for ranges in storage order (ChunkPlanRequest.storageOrder). */
  readonly storageOrder?: boolean;
}

/**
 * What a chunk plan depends on. A stored plan is resumed only when this is
 * unchanged: the same read (SQL, columns and types, key), landing the same way
 * in the same table, over ranges the source still vouches for (fingerprint).
 * The `chunks` and `parallelism` settings are not part of it: a plan stays a
 * valid split of the table whatever they say now.
 */
export function chunkSettingsHash(source: Source, stream: PlannedStream, request: ReadRequest, fingerprint: string): string {
  const parts = {
    read: source.readSql(request),
    columns: stream.columns.map((c) => [c.name, c.type]),
    key: stream.primaryKey,
    write: stream.write,
    target: tableRefText(stream.target),
    fingerprint,
  };
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

/**
 * Decide how a stream is read: resume a stored plan that still matches, plan
 * afresh when the stream asks for more than one chunk, or read in one piece.
 * Starting over is always said in the log, with the reason.
 */
export async function decideChunks(options: ChunkPlanOptions): Promise<ChunkDecision> {
  const { source, stream, request, stored, log } = options;
  if (!source.planChunks) return { chunked: false };
  const key = stream.primaryKey;
  if (stored && stored.ranges.length > 1) {
    // One chunk: the source only reports what its ranges depend on (no boundary query).
    const fresh = await source.planChunks({ read: request, chunks: 1, key });
    if (chunkSettingsHash(source, stream, request, fresh.fingerprint) === stored.settings) {
      log.write('info', stream.name, `resuming the ${stored.ranges.length}-chunk plan of run ${stored.runId}: ${stored.done.length} chunk(s) with ${stored.rows} rows already committed are not read again`);
      return { chunked: true, progress: stored, resumed: true, method: fresh.method };
    }
    log.write('warn', stream.name, `starting over: the read changed since run ${stored.runId} planned ${stored.ranges.length} chunks (${stored.done.length} committed): columns, key, filter, target, write mode or the table itself (rewritten) differ`);
  }
  const estimate = await estimatedReadRows(source, stream, request);
  const wanted = chunkCount(stream.chunks, estimate);
  if (wanted <= 1) {
    if (estimate !== stream.estimatedRows) log.write('info', stream.name, `read in one piece: the planner expects about ${estimate} of the table's ${stream.estimatedRows} rows in this read`);
    return { chunked: false };
  }
  const cursor = stream.mode === 'incremental' ? stream.cursor : undefined;
  const plan: ChunkPlan = await source.planChunks({ read: request, chunks: wanted, key, ...(cursor !== undefined ? { cursor } : {}), ...(options.storageOrder ? { storageOrder: true } : {}) });
  if (plan.ranges.length <= 1) {
    log.write('info', stream.name, `read in one piece: ${plan.method}`);
    return { chunked: false };
  }
  if (cursor !== undefined && (plan.cursorMax === undefined || plan.cursorMax === null)) {
    // Without an upper end the chunks' windows would differ and the cursor could skip rows.
    log.write('info', stream.name, `read in one piece: no row in the cursor window has a ${cursor} value to bound the chunks`);
    return { chunked: false };
  }
  const progress: ChunkProgress = {
    runId: options.runId,
    settings: chunkSettingsHash(source, stream, request, plan.fingerprint),
    ranges: plan.ranges,
    done: [],
    rows: 0,
    ...(cursor !== undefined && plan.cursorMax != null ? { cursorTo: plan.cursorMax } : {}),
  };
  log.write('info', stream.name, `planned ${plan.ranges.length} chunks by ${plan.method}`);
  return { chunked: true, progress, resumed: false, method: plan.method };
}

/**
 * Rows `chunks: auto` sizes the plan by: the table's estimate, or, for a read
 * narrowed to part of the table (a cursor window, a filter), the source
 * planner's estimate of that part. An incremental run over the few rows that
 * changed is read in one piece: planning and committing chunks would cost more
 * than the read.
 */
async function estimatedReadRows(source: Source, stream: PlannedStream, request: ReadRequest): Promise<number | undefined> {
  if (stream.chunks !== 'auto' || stream.estimatedRows === undefined || stream.estimatedRows < AUTO_CHUNK_MIN_ROWS) return stream.estimatedRows;
  const narrowed = (request.cursor?.from !== undefined && request.cursor.from !== null) || request.where !== undefined || (request.filters?.length ?? 0) > 0;
  if (!narrowed || !source.estimateRows) return stream.estimatedRows;
  const estimate = await source.estimateRows(request);
  return estimate === undefined ? stream.estimatedRows : Math.min(estimate, stream.estimatedRows);
}
