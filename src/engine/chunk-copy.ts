import type { RawFormat, ReadRequest, Source, StreamWriter } from '../core/connector.js';
import { CancelledError } from '../core/errors.js';
import type { Row } from '../core/schema.js';
import { prefetch } from './prefetch.js';
import { copyRawBytes } from './raw-copy.js';

export interface ChunkCopyOptions {
  readonly source: Source;
  readonly writer: StreamWriter;
  /** The stream's read narrowed to one chunk. */
  readonly request: ReadRequest;
  /** Set when bytes pass through (the writer then has `writeRaw`). */
  readonly rawFormat?: RawFormat;
  readonly signal: AbortSignal;
  /** Rows to write out of each batch read (incremental: cursor tracking and boundary dedup). */
  readonly accept?: (rows: readonly Row[]) => readonly Row[];
  /** Called as rows are staged (raw copies report once, at the end). */
  readonly progress: (rows: number, bytes: number) => void;
}

export interface ChunkCopied {
  readonly rowsRead: number;
  readonly bytesRead: number;
  /** Rows the writer took (the destination's own count for bytes passed through): what the chunk's commit lands. */
  readonly rowsStaged: number;
}

/**
 * Stage one chunk's rows in its writer: bytes straight through when both ends
 * speak `rawFormat`, else decoded batches. The reader waits for the writer
 * (one batch of read-ahead), so memory stays flat however large the chunk.
 */
export async function copyChunk(options: ChunkCopyOptions): Promise<ChunkCopied> {
  const { source, writer, request, signal } = options;
  if (options.rawFormat !== undefined && options.accept === undefined && source.readRaw && writer.writeRaw) {
    const copied = await copyRawBytes(source, writer, request, options.rawFormat, signal);
    options.progress(copied.rows, copied.bytes);
    return { rowsRead: copied.rows, bytesRead: copied.bytes, rowsStaged: copied.rows };
  }
  let rowsRead = 0;
  let bytesRead = 0;
  let rowsStaged = 0;
  for await (const batch of prefetch(source.read(request, signal))) {
    if (signal.aborted) throw new CancelledError('run cancelled', { stream: request.stream });
    rowsRead += batch.rows.length;
    bytesRead += batch.bytes ?? 0;
    const rows = options.accept ? options.accept(batch.rows) : batch.rows;
    if (rows.length > 0) rowsStaged += (await writer.write(rows === batch.rows ? batch : { columns: batch.columns, rows })).rows;
    options.progress(batch.rows.length, batch.bytes ?? 0);
  }
  return { rowsRead, bytesRead, rowsStaged };
}
