import type { RawFormat, ReadRequest, SharedSnapshot, Source } from '../core/connector.js';
import { describeError } from '../core/errors.js';
import type { Batch } from '../core/schema.js';
import { chunkCursorRead } from './chunk-cursor.js';
import { decideChunks } from './chunk-plan.js';
import type { PlannedStream } from './plan-streams.js';
import { BatchQueue, ByteSpool, type RangeSpool } from './range-spool.js';
import type { ReadPlan } from './read-plan.js';
import type { RunLog } from './run-log.js';

/**
 * Ordered parallel reads: a stream whose destination cannot commit chunks with
 * their checkpoints (files) is still read in ranges on several connections,
 * and the ranges go to its ONE writer in range order, so the output is what a
 * one-piece read in that order gives. The range being written streams straight
 * through; the ranges after it are read ahead into a RangeSpool (raw bytes
 * spill to a temp file past RANGE_MEMORY_BYTES, decoded batches wait). The
 * writer commits once, at the end: nothing is resumable, a failed run reads
 * every range again.
 */

/** Bytes of raw data one range holds in memory ahead of the writer before it spills to a temp file. */
export const RANGE_MEMORY_BYTES = 16 << 20;

/**
 * Source bytes of decoded batches one range holds ahead of the writer before its
 * reader waits. Smaller than RANGE_MEMORY_BYTES: decoded values take several
 * times the memory of their text, and a decoded copy is bound by Ferry's own
 * CPU (parsing and encoding), so reading far ahead would gain little.
 */
export const RANGE_BATCH_BYTES = 4 << 20;

/**
 * Raw formats whose reads join end to end into one valid stream: records only,
 * no header or trailer per read (binary COPY has both). Other formats are
 * decoded when read in ranges.
 */
const JOINABLE_RAW_FORMATS: ReadonlySet<RawFormat> = new Set<RawFormat>(['ferry-csv']);

/** True when the bytes of several reads in `format`, one after the other, are one valid stream. */
export function joinsRanges(format: RawFormat): boolean {
  return JOINABLE_RAW_FORMATS.has(format);
}

/** A stream's read split into ranges, read `parallelism` at once and written in order. */
export interface OrderedRead {
  /** The stream's read narrowed to each range, in range order. */
  readonly requests: readonly ReadRequest[];
  readonly parallelism: number;
}

export interface OrderedPlanOptions {
  readonly runId: string;
  readonly source: Source;
  readonly stream: PlannedStream;
  readonly plan: ReadPlan;
  readonly log: RunLog;
}

/**
 * Plan an ordered parallel read, or undefined to read in one piece. Only an
 * explicit `chunks: N` (N > 1) asks for one; `chunks: auto` reads in one
 * piece, as do `parallelism: 1` and sources that cannot split reads. Only the
 * next parallelism-1 ranges are read ahead of the writer, so more ranges than
 * readers bound what waits (a temp file holds at most their bytes).
 */
export async function planOrderedRead(options: OrderedPlanOptions): Promise<OrderedRead | undefined> {
  const { source, stream, plan, log } = options;
  // Opt-in: `chunks: auto` reads in one piece. Measured on a 2-core machine (docs/performance.md),
  // two ranges cost the server more CPU than one sequential scan (no buffer ring) and gained nothing.
  if (stream.chunks === 'auto' || stream.chunks <= 1) return undefined;
  if (!source.planChunks || stream.parallelism <= 1) {
    log.write('info', stream.name, `read in one piece: ${source.planChunks ? 'parallelism is 1' : 'the source cannot split a read into ranges'}`);
    return undefined;
  }
  const decision = await decideChunks({ runId: options.runId, source, stream, request: plan.request, stored: undefined, log, storageOrder: true });
  if (!decision.chunked) return undefined;
  const { ranges, cursorTo } = decision.progress;
  const cursor = cursorTo !== undefined ? chunkCursorRead(stream, plan, cursorTo) : undefined;
  const requests = ranges.map((chunk) => ({ ...plan.request, chunk, ...(cursor ? { cursor } : {}) }));
  const parallelism = Math.min(stream.parallelism, ranges.length);
  log.write(
    'info',
    stream.name,
    `reading ${ranges.length} ranges, ${parallelism} at once, into one writer in range order (the destination cannot commit chunks); not resumable: a failed run reads every range again`,
  );
  return { requests, parallelism };
}

export interface RangeReadOptions<T, S extends RangeSpool<T>> {
  readonly source: Source;
  readonly ordered: OrderedRead;
  readonly read: (request: ReadRequest, signal: AbortSignal) => AsyncIterable<T>;
  /** Holds one range until its turn. */
  readonly spool: () => S;
  readonly signal: AbortSignal;
  readonly log: RunLog;
  /** Called after each range was written, before its spool is closed. */
  readonly written?: (index: number, spool: S) => void;
}

/**
 * The ranges' items in range order, reading up to `parallelism` ranges at
 * once: range i+parallelism starts when the writer turns to range i+1, so at
 * most parallelism-1 ranges wait in memory. The first failing range aborts
 * every other read, and its error is thrown at once. Reads share one snapshot
 * where the source offers it; spools and the snapshot are released however the
 * iteration ends.
 */
export async function* readRangesInOrder<T, S extends RangeSpool<T>>(options: RangeReadOptions<T, S>): AsyncGenerator<T> {
  const { ordered, signal } = options;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  if (signal.aborted) controller.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const snapshot = await shareSnapshot(options);
  const requests = snapshot ? ordered.requests.map((r) => ({ ...r, snapshot: snapshot.id })) : ordered.requests;
  const spools = requests.map(() => options.spool());
  const reads: Promise<void>[] = [];
  let failed = false;
  const fail = (error: unknown): void => {
    if (failed) return;
    failed = true;
    controller.abort();
    for (const spool of spools) spool.fail(error);
  };
  const readRange = async (index: number): Promise<void> => {
    const spool = spools[index] as S;
    try {
      for await (const item of options.read(requests[index] as ReadRequest, controller.signal)) await spool.push(item);
      await spool.end();
    } catch (error) {
      fail(error);
    }
  };
  try {
    for (let index = 0; index < spools.length; index++) {
      while (reads.length < Math.min(spools.length, index + ordered.parallelism)) reads.push(readRange(reads.length));
      const spool = spools[index] as S;
      yield* spool.drain();
      options.written?.(index, spool);
      await spool.close();
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    controller.abort();
    await Promise.all(reads);
    await Promise.all(spools.map((spool) => spool.close()));
    await snapshot?.release();
  }
}

/** The source's shared snapshot, or undefined (said in the log) when it has none or cannot take one. */
async function shareSnapshot(options: { readonly source: Source; readonly ordered: OrderedRead; readonly signal: AbortSignal; readonly log: RunLog }): Promise<SharedSnapshot | undefined> {
  const stream = options.ordered.requests[0]?.stream ?? null;
  if (!options.source.shareSnapshot) {
    options.log.write('info', stream, 'the source shares no snapshot: each range sees the table as of its own start');
    return undefined;
  }
  try {
    return await options.source.shareSnapshot(options.signal);
  } catch (error) {
    options.log.write('warn', stream, `ranges read without a shared snapshot (each sees the table as of its own start): ${describeError(error)}`);
    return undefined;
  }
}

export interface OrderedRawOptions {
  readonly source: Source;
  readonly ordered: OrderedRead;
  readonly format: RawFormat;
  /** Where spill files go (the writer's `tempFolder`); default the system's temp folder. */
  readonly tempFolder: string | undefined;
  readonly signal: AbortSignal;
  readonly log: RunLog;
}

/** The raw bytes of every range, in order; ranges not yet being written spill past RANGE_MEMORY_BYTES. */
export function orderedRawBytes(options: OrderedRawOptions): AsyncIterable<Uint8Array> {
  const { source, ordered, format, signal, log } = options;
  if (!joinsRanges(format)) throw new Error(`orderedRawBytes: ${format} reads do not join end to end`);
  const readRaw = source.readRaw?.bind(source);
  if (!readRaw) throw new Error('orderedRawBytes: the source has no raw read');
  return readRangesInOrder({
    source,
    ordered,
    read: (request, readSignal) => readRaw(request, format, readSignal),
    spool: () => new ByteSpool(RANGE_MEMORY_BYTES, options.tempFolder),
    signal,
    log,
    written: (index, spool) => {
      if (spool.spilled > 0) log.write('info', ordered.requests[index]?.stream ?? null, `range ${index + 1}/${ordered.requests.length}: ${(spool.spilled / 2 ** 20).toFixed(1)} MiB read ahead went through a temp file`);
    },
  });
}

/** The decoded batches of every range, in order; ranges not yet being written hold RANGE_BATCH_BYTES at most. */
export function orderedBatches(source: Source, ordered: OrderedRead, signal: AbortSignal, log: RunLog): AsyncIterable<Batch> {
  return readRangesInOrder({ source, ordered, read: (request, readSignal) => source.read(request, readSignal), spool: () => new BatchQueue(RANGE_BATCH_BYTES), signal, log });
}
