import type { SnapshotSession } from '../../core/change-capture.js';
import type { Checkpoint, CheckpointState } from '../../core/checkpoint.js';
import { chunkRangeText, type ChunkRange } from '../../core/chunk.js';
import type { Destination, OpenRequest, ReadRequest, Source, StreamWriter } from '../../core/connector.js';
import { CancelledError, describeError } from '../../core/errors.js';
import { tableRefText } from '../../core/schema.js';
import { chunkCount } from '../chunk-count.js';
import { chunkedTable } from '../chunk-runner.js';
import { runWithConcurrency } from '../concurrency.js';
import type { PlannedStream } from '../plan-streams.js';
import { cdcState } from './cdc-position.js';
import { snapshotColumns, type SnapshotLoadContext, type SnapshotLoaded } from './cdc-snapshot.js';

export interface ChunkedSnapshotContext extends SnapshotLoadContext {
  readonly source: Source;
}

/**
 * The chunk ranges for a table's snapshot, or undefined to load it in one
 * piece: the stream asks for chunks (`chunks`, or `auto` from its size), the
 * source can split it, and the destination can keep a partly built table and
 * swap it in with the checkpoint (`publishTable`).
 */
export async function planSnapshotChunks(ctx: ChunkedSnapshotContext, stream: PlannedStream, request: ReadRequest): Promise<readonly ChunkRange[] | undefined> {
  const wanted = chunkCount(stream.chunks, stream.estimatedRows);
  if (wanted <= 1 || !ctx.source.planChunks || !ctx.destination.publishTable || !ctx.destination.capabilities.transactional) return undefined;
  const plan = await ctx.source.planChunks({ read: request, chunks: wanted, key: stream.primaryKey });
  if (plan.ranges.length <= 1) return undefined;
  ctx.log.write('info', stream.name, `snapshot in ${plan.ranges.length} chunks (${plan.method})`);
  return plan.ranges;
}

/**
 * Load one table as it was at the snapshot, in chunks read in parallel. Every
 * chunk reader imports the same exported snapshot (its own REPEATABLE READ
 * transaction, see SnapshotSession), so together they see exactly the table at
 * the snapshot's LSN. Chunks are appended to a landing table next to the
 * target, each in its own commit; the last step swaps the landing table in and
 * stores the position (the snapshot's LSN) in the same transaction.
 *
 * A killed run leaves the landing table and no position: the next run loads
 * the table again from a new snapshot (the exported one ended with the killed
 * run's replication connection, and chunks read at two snapshots would need
 * changes replayed from the older one). The landing table is emptied first, so
 * nothing of the killed attempt survives: no gap, no overlap.
 */
export async function loadChunkedSnapshot(ctx: ChunkedSnapshotContext, session: SnapshotSession, stream: PlannedStream, request: ReadRequest, ranges: readonly ChunkRange[]): Promise<SnapshotLoaded> {
  const publishTable = ctx.destination.publishTable;
  if (!publishTable) throw new Error('loadChunkedSnapshot needs a destination with publishTable');
  const landing = chunkedTable(ctx.sync, stream);
  const progress = (done: number): CheckpointState => ({ cdc_snapshot: { runId: ctx.runId, lsn: session.lsn.toString(), chunks: ranges.length, done } });
  let commits: Promise<unknown> = Promise.resolve();
  let seq = 0;
  // Several commits may fall in one millisecond: keep seq strictly increasing.
  const checkpoint = (state: CheckpointState): Checkpoint => {
    seq = Math.max(ctx.seq(stream.name), seq + 1);
    return { sync: ctx.sync, stream: stream.name, runId: ctx.runId, seq, state };
  };
  let done = 0;
  let rows = 0;
  // An empty landing table (a killed attempt's is replaced), committed with a position-less checkpoint.
  await commitWriter(ctx, await openLanding(ctx, session, stream, landing, 'replace'), checkpoint(progress(0)), ctx.signal);
  const allowed = ctx.destination.capabilities.parallelWriters === true ? stream.parallelism : 1;
  const parallelism = Math.max(1, Math.min(allowed, ranges.length));
  ctx.log.write('info', stream.name, `${ranges.length} snapshot chunk(s), ${parallelism} at once into ${tableRefText(landing)}`);
  const failed = new AbortController();
  const onAbort = (): void => failed.abort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await runWithConcurrency(ranges, parallelism, async (range, index) => {
      try {
        const started = performance.now();
        const writer = await openLanding(ctx, session, stream, landing, 'append');
        const read = await readChunk(session, writer, { ...request, chunk: range }, failed.signal, stream.name);
        // Commits are serialized so each stores a count that includes every earlier commit.
        const commit = commits.then(() => commitWriter(ctx, writer, checkpoint(progress(done + 1)), failed.signal));
        commits = commit.catch(() => undefined);
        await commit;
        done++;
        rows += read;
        ctx.log.write('info', stream.name, `snapshot chunk ${index + 1}/${ranges.length} committed: ${read} rows, ${chunkRangeText(range)} (${done} of ${ranges.length} done)`);
      } catch (error) {
        failed.abort();
        throw error;
      }
    });
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
  const final = checkpoint(cdcState({ slot: ctx.slot, from: session.lsn }));
  const published = await publishTable.call(ctx.destination, { sync: ctx.sync, stream: stream.name, from: landing, target: stream.target, primaryKey: stream.primaryKey, plan: ctx.runId }, final, ctx.signal);
  await ctx.state.saveCheckpoint(final);
  ctx.log.write('info', stream.name, `snapshot: ${published.rows} rows of ${ranges.length} chunks published; changes continue from the snapshot position`);
  return { rows, checkpoint: final };
}

async function readChunk(session: SnapshotSession, writer: StreamWriter, request: ReadRequest, signal: AbortSignal, stream: string): Promise<number> {
  let rows = 0;
  try {
    for await (const batch of session.read(request, signal)) {
      if (signal.aborted) throw new CancelledError('snapshot chunk cancelled', { stream });
      if (batch.rows.length > 0) await writer.write(batch);
      rows += batch.rows.length;
    }
  } catch (error) {
    await writer.abort().catch(() => undefined);
    throw error;
  }
  return rows;
}

function openLanding(ctx: ChunkedSnapshotContext, session: SnapshotSession, stream: PlannedStream, landing: OpenRequest['target'], write: 'replace' | 'append'): Promise<StreamWriter> {
  return ctx.destination.open(
    {
      sync: ctx.sync,
      stream: stream.name,
      runId: ctx.runId,
      target: landing,
      columns: stream.columns,
      write,
      // The key is added when the landing table is swapped in.
      primaryKey: [],
      schemaChange: 'evolve',
      // The landing table (created empty by `replace`) has Ferry's columns; every chunk fills them.
      ...snapshotColumns(ctx, session),
      ...(write === 'append' && ctx.destination.capabilities.directAppend ? { direct: true } : {}),
    },
    ctx.signal,
  );
}

async function commitWriter(ctx: ChunkedSnapshotContext, writer: StreamWriter, checkpoint: Checkpoint, signal: AbortSignal): Promise<void> {
  try {
    if (signal.aborted) throw new CancelledError('snapshot cancelled before a chunk commit', { stream: checkpoint.stream });
    await writer.commit(checkpoint);
  } catch (error) {
    await writer.abort().catch((abortError: unknown) => ctx.log.write('warn', checkpoint.stream, `abort failed: ${describeError(abortError)}`));
    throw error;
  }
  await ctx.state.saveCheckpoint(checkpoint);
}
