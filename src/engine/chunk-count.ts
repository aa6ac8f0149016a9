import { availableParallelism } from 'node:os';

/** Below this many estimated rows `chunks: auto` reads in one piece: planning and extra connections would cost more than they save. */
export const AUTO_CHUNK_MIN_ROWS = 1_000_000;
/** `chunks: auto` aims at about this many rows per chunk. */
export const AUTO_ROWS_PER_CHUNK = 500_000;
/** Most chunks `auto` picks. */
export const AUTO_MAX_CHUNKS = 32;

/** Chunks for a stream: the number asked for, or `auto` from the table's estimated size. */
export function chunkCount(chunks: number | 'auto', estimatedRows: number | undefined): number {
  if (chunks !== 'auto') return chunks;
  if (estimatedRows === undefined || estimatedRows < AUTO_CHUNK_MIN_ROWS) return 1;
  return Math.min(AUTO_MAX_CHUNKS, Math.ceil(estimatedRows / AUTO_ROWS_PER_CHUNK));
}

/**
 * Default chunks read at once: one per CPU (at least 2: reading and writing
 * overlap even on one core), never more than the sync's `threads` budget.
 */
export function defaultParallelism(threads: number): number {
  return Math.max(1, Math.min(threads, Math.max(2, availableParallelism())));
}
